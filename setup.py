"""The package's C extension (MinHash signatures); everything else about the package is
in pyproject.toml."""

from setuptools import Extension, setup

FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra"]

setup(
    ext_modules=[
        Extension("monitor._minhash", sources=["monitor/_minhash.c"], extra_compile_args=FLAGS),
    ]
)
