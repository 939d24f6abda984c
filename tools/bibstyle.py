"""Author-year citations that read as the text expects, and a reference list with
the same labels (sphinxcontrib-bibtex's ``author_year`` style puts square brackets
and commas between works, and the list is labelled ``[ABC+16]``).

In the text: ``{cite:p}`` -> "(Koren et al., 2009; Funk, 2006)", ``{cite:t}`` ->
"Koren et al. (2009)". On the references page: "[Koren et al., 2009]", sorted by
author, year and title.

Used through _config.yml::

    sphinx:
      local_extensions: {bibstyle: tools}
      config:
        bibtex_reference_style: author_year_round
        bibtex_default_style: author_year_list
"""
import dataclasses

from pybtex.plugin import register_plugin as register_pybtex_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round():
    return BracketStyle(left="(", right=")", sep="; ")


@dataclasses.dataclass
class RoundAuthorYear(AuthorYearReferenceStyle):
    """``author_year`` with round brackets and "; " between works."""
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


def _last(person):
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Funk, 2006", "Hu and Koren, 2008", "Koren et al., 2009"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_last(p) for p in people]
            if len(names) > 2:
                who = f"{names[0]} et al."
            else:
                who = " and ".join(names) or "Anon."
            yield f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearList(PlainStyle):
    """pybtex's plain style, labelled and sorted by author and year."""
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYear)
    register_pybtex_plugin("pybtex.style.formatting", "author_year_list", AuthorYearList)
    return {"parallel_read_safe": True}
