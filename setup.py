"""The package's C extension (the classifier's kernel); everything else about the package
is in pyproject.toml."""

from setuptools import Extension, setup

FLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra"]

setup(
    ext_modules=[
        Extension(
            "monitor.classify._kernel",
            sources=["monitor/classify/_kernel.c"],
            extra_compile_args=FLAGS,
        ),
    ]
)
