"""The plumbing under the course's concepts: one way to do each file job.

Nothing here is about GANs or style transfer. The concept modules (``backbones``, ``cin``,
``cyclegan_train``, ...) call these helpers so that each of them holds only its idea:

=============  ====================================================================
module         what it does
=============  ====================================================================
``paths``      where the repository's ``datasets/`` and the installed packages' files are
``weights``    read a weights file safely (no code can run) and load it strictly
``atomic``     write a file so that a crash never leaves half of it; sha256 of a file
``onnx``       read the weight tensors out of an ``.onnx`` file without onnx installed
``download``   fetch a file with timeouts, a deadline and a length check, atomically
``signals``    Ctrl-C and SIGTERM as exceptions, so every clean-up runs
``command``    one-line errors and the shell's exit statuses for ``python -m`` programs
=============  ====================================================================
"""
