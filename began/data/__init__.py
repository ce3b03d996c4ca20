"""Training data: the ring of Gaussians, a folder of images, the built-in
toy faces, and the seeded order that makes a resumed run draw what the
uninterrupted one would have."""
