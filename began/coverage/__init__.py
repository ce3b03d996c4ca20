"""Mode coverage beyond the post: extra loss terms that make G cover every
mode of the data (terms.py: the maths; step.py: ``Coverage``, what one
BEGAN step adds to L_D and L_G, and the state those terms keep)."""
from began.coverage.step import Coverage, StepTensors  # noqa: F401
