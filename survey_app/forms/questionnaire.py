"""A questionnaire page as a WTForms form composed from the instrument (field names are item ids).

Views build a page's form with :func:`page_form`, turn a valid form into plain data with
:func:`page_answers` for :mod:`survey_app.services.survey`, and fill a page in again from what
was saved with :func:`initial_data`. No query happens here: the roster arrives as a list.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, TextAreaField
from wtforms.validators import Length, StopValidation

from survey_app.services.questionnaire import Page
from survey_app.services.survey import COMMENT_MAX_LENGTH, Alter, PageAnswers, StoredAnswers

PREFER_NOT = "na"
"""The value of the "Prefer not to answer" option (stored as a missing value)."""
PREFER_NOT_LABEL = "Prefer not to answer"
NONE_OF_THESE = "none"
"""The value of the roster question's "None of these" option."""
NONE_OF_THESE_LABEL = "None of these"
CONTROL_KEYS = frozenset({"csrf_token", "action"})
"""Form keys that are not answers: the CSRF token and the button pressed."""


class SingleChoiceField(Field):
    """One answer from a fixed list, shown as a native radio group.

    A value that is not one of the choices, or several values for one question, is an error
    and is not kept; a missing answer is an error only when ``required``.
    """

    def __init__(
        self,
        label: str,
        *,
        choices: Sequence[tuple[str, str]],
        required: bool,
        missing_message: str,
        invalid_message: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.choices = tuple(choices)
        self.required = required
        self.missing_message = missing_message
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the first value; :meth:`pre_validate` refuses several."""
        self.data = valuelist[0] if valuelist else None

    def pre_validate(self, form: Any) -> None:
        """Refuse repeated or unknown values and, when required, a missing answer."""
        raw = self.raw_data or []
        if len(raw) > 1 or (self.data is not None and self.data not in self.values):
            self.data = None
            raise StopValidation(self.invalid_message)
        if self.data in (None, "") and self.required:
            self.data = None
            raise StopValidation(self.missing_message)

    @property
    def values(self) -> tuple[str, ...]:
        """The acceptable values."""
        return tuple(value for value, _ in self.choices)

    @property
    def options(self) -> tuple[tuple[str, str, str], ...]:
        """The radio buttons as ``(input id, value, label)``.

        The first button's id is the field's own, so that the error summary's link to the
        question lands on it; the others are ``<field id>-<value>``.
        """
        first = self.id
        return tuple(
            (first if position == 0 else f"{first}-{value}", value, label)
            for position, (value, label) in enumerate(self.choices)
        )


class RosterField(Field):
    """The roster question: team members as checkboxes, plus "None of these" and "Prefer not
    to answer".

    Unknown people are an error (and are dropped from what is shown again); "None of these" or
    "Prefer not to answer" together with anything else is an error; nothing ticked is an error
    only when ``required``. "Prefer not to answer" is stored as a missing answer, not as zero
    ties (which "None of these" is).
    """

    def __init__(
        self,
        label: str,
        *,
        choices: Sequence[tuple[str, str]],
        required: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.choices = tuple(choices)
        self.required = required

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """The checkboxes to show: the people, then "None of these" and "Prefer not to answer"."""
        return (*self.choices, (NONE_OF_THESE, NONE_OF_THESE_LABEL), (PREFER_NOT, PREFER_NOT_LABEL))

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep each ticked value once, in the order given."""
        self.data = list(dict.fromkeys(str(value) for value in valuelist))

    def process_data(self, value: Any) -> None:
        """Initial data: a list of values."""
        self.data = [str(v) for v in value] if value else []

    def pre_validate(self, form: Any) -> None:
        """Check the ticked values against the roster and against each other."""
        known = {value for value, _ in self.options}
        ticked: list[str] = list(self.data or [])
        if any(value not in known for value in ticked):
            self.data = [value for value in ticked if value in known]
            raise StopValidation("Tick only people from this list")
        for alone, label in ((NONE_OF_THESE, NONE_OF_THESE_LABEL), (PREFER_NOT, PREFER_NOT_LABEL)):
            if alone in ticked and len(ticked) > 1:
                raise StopValidation(
                    f"Either tick the people you exchanged knowledge with, or tick "
                    f"“{label}” on its own"
                )
        if not ticked and self.required:
            raise StopValidation(
                f"Tick the people you exchanged knowledge with, “{NONE_OF_THESE_LABEL}” or "
                f"“{PREFER_NOT_LABEL}”"
            )


class PageForm(FlaskForm):
    """Base of the composed page forms; the fields are added per page by :func:`page_form`."""

    page: Page

    class Meta:
        csrf = False  # the survey's link-bound form token is checked by the view

    def validate_keys(self, formdata: Mapping[str, Any]) -> bool:
        """Refuse a submission naming a question that is not on this page."""
        allowed = set(self.page.field_ids) | CONTROL_KEYS
        unexpected = sorted(key for key in formdata if key not in allowed)
        if unexpected:
            self.form_errors.append(
                "The page sent an answer to a question that is not on it, so nothing was "
                "saved. Check your answers below and send the page again."
            )
            return False
        return True


def _reserved(name: str) -> bool:
    return hasattr(PageForm, name) or name in CONTROL_KEYS


def page_form(
    page: Page,
    *,
    alters: Iterable[Alter] = (),
    require_answers: bool = True,
    data: Mapping[str, Any] | None = None,
    formdata: MultiDict[str, Any] | None = None,
) -> PageForm:
    """Compose the form of one questionnaire page.

    Parameters
    ----------
    page
        The page (from :func:`survey_app.services.questionnaire.plan`).
    alters
        The people the roster question lists (only used on the roster page).
    require_answers
        Whether every question needs an answer ("Continue"); "Back" saves a partly answered
        page, so it passes ``False``.
    data
        Answers to show (from :func:`initial_data`) when the page is not being submitted.
    formdata
        The submitted form; ``None`` to take the request's form when it is a POST.

    Returns
    -------
    PageForm
        With one field per question, named by the item (or network, or comment) id.

    Raises
    ------
    ValueError
        If an id collides with a name the form itself uses.

    Notes
    -----
    The form class of a page is composed once per process (see :func:`page_form_class`); each
    call only makes an instance of it.
    """
    roster: tuple[tuple[str, str], ...] = ()
    if page.kind == "network":
        roster = tuple(
            (str(alter.member_id), f"{alter.name} ({alter.profession})") for alter in alters
        )
    form_class = page_form_class(page, require_answers, roster)
    if formdata is not None:
        return form_class(formdata=formdata)
    return form_class(data=dict(data or {}))


@functools.lru_cache(maxsize=256)
def page_form_class(
    page: Page, require_answers: bool, roster: tuple[tuple[str, str], ...] = ()
) -> type[PageForm]:
    """The form class of ``page``: one field per question, named by its id.

    Composing a class (field definitions, WTForms' metaclass) costs more than filling an
    instance in, and a page's questions never change, so the classes are kept (at most 256:
    pages x "Continue"/"Back" x the rosters of the teams seen recently).

    Parameters
    ----------
    page
        The page.
    require_answers
        Whether every question needs an answer.
    roster
        The roster question's choices as ``(member id, "name (profession)")`` pairs (roster
        page only).

    Raises
    ------
    ValueError
        If an id collides with a name the form itself uses.
    """
    fields: dict[str, Any] = {}
    if page.kind == "rated":
        for position, question in enumerate(page.questions, start=1):
            choices = [(str(value), label) for value, label in question.options]
            choices.append((PREFER_NOT, PREFER_NOT_LABEL))
            fields[question.id] = SingleChoiceField(
                question.text,
                choices=choices,
                required=require_answers,
                missing_message=f"Question {position}: choose an answer",
                invalid_message=f"Question {position}: choose one of the answers shown",
            )
    elif page.kind == "network" and page.network is not None:
        fields[page.network.id] = RosterField(
            page.network.prompt, choices=roster, required=require_answers
        )
    else:
        for asked in page.comments:
            fields[asked.id] = TextAreaField(
                asked.text,
                filters=[lambda text: text.strip() if isinstance(text, str) else text],
                validators=[
                    Length(
                        max=COMMENT_MAX_LENGTH,
                        message=f"Keep this answer under {COMMENT_MAX_LENGTH} characters",
                    )
                ],
            )
    clashes = [name for name in fields if _reserved(name)]
    if clashes:
        raise ValueError(f"question ids clash with form attributes: {', '.join(clashes)}")
    return type("QuestionnairePageForm", (PageForm,), {"page": page, **fields})


def answer_fields(form: PageForm) -> list[Field]:
    """The form's question fields in page order (without the CSRF token)."""
    return [form[name] for name in form.page.field_ids]


def page_answers(form: PageForm) -> PageAnswers:
    """The answers of a validated page form as plain data for the service.

    Unanswered questions are left out; "Prefer not to answer" becomes ``None`` (on the roster
    question: ``network_declined``); "None of these" becomes an empty set of ties.
    """
    page = form.page
    if page.kind == "rated":
        rated: dict[str, int | None] = {}
        for question in page.questions:
            value = form[question.id].data
            if value == PREFER_NOT:
                rated[question.id] = None
            elif value:
                rated[question.id] = int(value)
        return PageAnswers(rated=rated)
    if page.kind == "network" and page.network is not None:
        ticked: list[str] = form[page.network.id].data or []
        if not ticked:
            return PageAnswers(ties=None)
        if ticked == [NONE_OF_THESE]:
            return PageAnswers(ties=frozenset())
        if ticked == [PREFER_NOT]:
            return PageAnswers(network_declined=True)
        return PageAnswers(ties=frozenset(int(value) for value in ticked))
    return PageAnswers(
        comments={question.id: form[question.id].data or "" for question in page.comments}
    )


def initial_data(page: Page, stored: StoredAnswers) -> dict[str, Any]:
    """What ``page`` shows of the saved answers (the form's ``data``)."""
    if page.kind == "rated":
        data: dict[str, Any] = {}
        for question in page.questions:
            if question.id in stored.rated:
                value = stored.rated[question.id]
                data[question.id] = PREFER_NOT if value is None else str(int(value))
        return data
    if page.kind == "network" and page.network is not None:
        if stored.network_declined:
            return {page.network.id: [PREFER_NOT]}
        if stored.ties:
            return {page.network.id: [str(member_id) for member_id in sorted(stored.ties)]}
        return {page.network.id: [NONE_OF_THESE] if stored.roster_answered else []}
    return {question.id: stored.comments.get(question.id, "") for question in page.comments}


__all__ = [
    "NONE_OF_THESE",
    "PREFER_NOT",
    "PageForm",
    "RosterField",
    "SingleChoiceField",
    "answer_fields",
    "initial_data",
    "page_answers",
    "page_form",
    "page_form_class",
]
