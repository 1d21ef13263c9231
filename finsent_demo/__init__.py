"""The offline demo of finsent: a fictional news corpus served on 127.0.0.1 and the daily job run over it.

`finsent_demo.fakesite` is the one fake-news-site core (server, RSS writer, feeds.yaml writer) that
the demo, the tests and the benchmarks share; `corpus` loads the corpus, `site` serves it and
`run` is `finsent demo`. Nothing here ships to a Beam worker's code path.
"""
