"""Where the server's own files are: templates, static files, the shipped config, catalogues.

There are two layouts, told apart by one fact: whether the package carries its own templates.

- A source checkout, and an editable install of one (which imports the checkout's package): the
  top-level ``templates/``, ``static/`` and ``config/`` of the repository, so that an edited
  template or stylesheet is served as it is, with no build step.
- An installed wheel: the copies that pyproject.toml's ``force-include`` puts inside the package
  (``dashboard/templates/``, ``dashboard/static/``, ``dashboard/config/``).

The Babel catalogues live inside the package in both (``dashboard/locale/``).  Nothing here
touches the disk beyond one look at import; nothing is created.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED = (PACKAGE_DIR / "templates").is_dir()  # a wheel's layout, not a checkout's
# The folder that holds templates/, static/ and config/.
ROOT = PACKAGE_DIR if INSTALLED else PACKAGE_DIR.parent

TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
CONFIG_DIR = ROOT / "config"  # the shipped rooms, settings and programme
LOCALE_DIR = PACKAGE_DIR / "locale"

# Names the default data folder; the test suite points it at a temporary folder, so that no
# test can write into a checkout's data/ by leaving the data folder out.
DATA_DIR_VARIABLE = "DASHBOARD_DATA_DIR"


def default_data_dir() -> Path:
    """The data folder when neither ``--data`` nor settings.toml's ``data_dir`` names one.

    ``$DASHBOARD_DATA_DIR`` if set; else ``data/`` in a checkout; else, from a wheel, ``data/`` in
    the working directory, never inside the installation (site-packages may be read-only, and a
    reinstall would take the database with it).  Read at each call: the working directory and the
    environment are the caller's, not the importer's.
    """
    if variable := os.environ.get(DATA_DIR_VARIABLE):
        return Path(variable)
    return Path.cwd() / "data" if INSTALLED else ROOT / "data"
