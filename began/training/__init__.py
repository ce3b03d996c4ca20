"""Running the method: the Trainer and its extensions, the guards that stop a
failing run, the learning-rate schedule, snapshots and the model directory."""
