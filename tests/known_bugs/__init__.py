"""Classic bugs of GANs, CycleGAN and style transfer, planted one at a time to test the tests.

``patching`` plants a bug (a text edit in one function, or a constant's value) for the length of a
``with`` block; ``catalogue`` lists the bugs and the tests that must catch each one. The test that
runs them is ``tests/test_known_bugs.py``.
"""
