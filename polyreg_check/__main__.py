"""Run the checker: ``python -m polyreg_check FILE``, or ``python path/to/polyreg_check FILE`` (the folder itself,
e.g. a copy run with ``python -I -S``), which imports this folder as ``polyreg_check`` and adds nothing to sys.path."""
import sys

if __package__:
    from .cli import main
else:
    import importlib.util
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0]) == here:
        del sys.path[0]             # the folder itself: its modules are not top-level modules
    spec = importlib.util.spec_from_file_location("polyreg_check", os.path.join(here, "__init__.py"),
                                                  submodule_search_locations=[here])
    assert spec is not None and spec.loader is not None     # a source file's spec always has both
    package = sys.modules["polyreg_check"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package)
    main = package.main

if __name__ == "__main__":
    sys.exit(main())
