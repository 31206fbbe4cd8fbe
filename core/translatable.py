"""The marker of a text that is shown translated somewhere else: a constant, a label, a reason or a history line
that the code keeps in English and the web (or a letter) translates when it shows it.

`N_("...")` returns the text unchanged; `make translations-extract` finds it and puts it in the catalogues, so
that `pybabel update` keeps its translations. No framework here: the domain marks its own texts."""

from __future__ import annotations


def N_(text: str) -> str:  # gettext's own name for the no-op marker, which pybabel looks for
    return text
