"""``linkage bench``: benchmarks that measure and print (``updates``, ``broadcast``, ``failover``),
and the child process runner they share with the tests that start ``linkage`` as a real process."""
