"""The service's instance folder (where the default pricing store, ``pricing.sqlite3``, lives), found
without Flask.

It follows Flask's rule for an app named ``estimator.app`` (``Flask.auto_find_instance_path``):
``instance/`` next to the ``estimator`` package when it runs from a source checkout, and
``<prefix>/var/estimator.app-instance`` when it is installed (in the interpreter's prefix or a
virtualenv's ``site-packages``). ``create_app`` hands this folder to Flask, and the command line
(``pricing.cli.default_database_url``) opens the store in it, so a local service and the CLI see
the same pricing tables without the CLI building an app.
"""

from __future__ import annotations

import os
import sys
from pathlib import PurePath

#: The app's import name, as ``create_app`` gives it to Flask.
APP_NAME = "estimator.app"


def _install_prefix(package_path: str) -> str | None:
    """The prefix the package is installed under, or None when it runs from a source checkout
    (``flask.sansio.scaffold.find_package``)."""
    prefix = os.path.abspath(sys.prefix)
    if PurePath(package_path).is_relative_to(prefix):
        return prefix
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() != "site-packages":
        return None
    parent, folder = os.path.split(site_parent)
    if folder.lower() == "lib":  # Windows: prefix/lib/site-packages
        return parent
    if os.path.basename(parent).lower() == "lib":  # Unix: prefix/lib/pythonX.Y/site-packages
        return os.path.dirname(parent)
    return site_parent  # prefix/site-packages


def instance_path() -> str:
    """The absolute path of the instance folder (it may not exist yet)."""
    import estimator

    # The sys.path entry the estimator package is imported from.
    package_path = os.path.dirname(os.path.dirname(estimator.__file__ or ""))
    prefix = _install_prefix(package_path)
    if prefix is None:
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", f"{APP_NAME}-instance")


__all__ = ["APP_NAME", "instance_path"]
