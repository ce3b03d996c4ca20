"""Pictures a person looks at: image grids, 2-D point plots, each
experiment's picture extension, and an index.html of a whole run."""
