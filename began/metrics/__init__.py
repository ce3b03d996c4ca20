"""Numbers that say how well a run went: mode coverage of the ring, of the
toy faces (hair x eye colour), and the speckle ratio of generated images."""
