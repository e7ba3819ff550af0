"""Command-line tools installed with liftcomp besides `liftcomp` itself (`liftcomp-opt`)."""
