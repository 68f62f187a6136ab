"""The instructors' live demos: one module per lesson topic.

A demo is a plain-Python callback plus the ipywidgets that drive it. The callback does the work and
keeps its state in a small object that tests assert on, so every slider is unit-tested headlessly by
setting ``slider.value`` (``observe`` fires synchronously). Expensive results are precomputed or
cached, so a slider answers within 0.5 s on 2 CPU cores (0.2 s for lesson 06).
"""
