"""`make screenshots`: the README screenshots, made from a demo vault under Xvfb."""
