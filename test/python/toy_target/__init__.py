"""A test-only target (issue 11): a vector unit with one element-wise op, proving that a target is
one folder plus one registry line. Nothing in liftcomp names it; tests register it with
`liftcomp.targets.register_target("toy", "toy_target.target:ToyTarget")`."""
