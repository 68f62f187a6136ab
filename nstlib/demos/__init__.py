"""The instructors' live demos: one module per lesson topic, widgets only.

A demo is a plain-Python computation plus the ipywidgets that drive it. Networks, samplers and
metrics live in the concept modules (``nstlib.ring``, ``nstlib.metrics``, ...); a demo only calls
them and shows the answer. Every demo class speaks the same small interface:

================  ==================================================================
``demo.widget``   the ipywidgets container to display (the last line of a lesson cell)
``demo.update``   the callback, ``update(change=None)``: reads the controls, refreshes the
                  picture and the readout, and returns the new result
``demo.readout``  the text widget (``widgets.HTML``) with the numbers for the current result
``demo.picture``  the picture widget (``widgets.Image``, PNG bytes)
``demo.last``     the result ``update`` last returned
``demo.cache``    a dict of results already computed, so moving a control back is a lookup
================  ==================================================================

The result itself is a small object (or the PNG) that tests assert on: every slider is
unit-tested headlessly by setting ``slider.value`` (``observe`` fires synchronously) and reading
``demo.last``. Expensive results are precomputed or cached, so a slider answers within 0.5 s on
2 CPU cores (0.2 s for lesson 06).
"""
