"""The one error a service raises for bad input: every problem, each with the field it is about."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with a request: the field it is about, and a message that reads alone.

    ``field`` names the input the problem is about, in the service's own words (``email``,
    ``closes``, ``instrument``); forms name their fields the same way, so a view can show the
    message beside its field. ``None`` means the request as a whole. The message must make
    sense without the field (the CLI prints messages only): ``the wave must close after it
    opens``, not ``must be later``.
    """

    field: str | None
    message: str


class ServiceError(ValueError):
    """A request that cannot be carried out as asked, with every problem found.

    Services check everything they can before they raise, so the user sees every problem at
    once, and raise before they change anything. Views show :attr:`messages` in the error
    summary and each problem at its field (``survey_app.blueprints.staff.problems_of``); the
    CLI prints one problem a line, ``field: message``
    (``survey_app.commands.runtime.refusal``); ``str(error)`` joins the messages with ``"; "``
    for logs.

    Parameters
    ----------
    problems
        A message (one problem, about ``field``), or the problems found, in the order they
        should be read; plain ``(field, message)`` pairs are accepted.
    field
        The field a single message is about; only with a message.

    Examples
    --------
    >>> error = ServiceError("choose one of the study's teams", field="team")
    >>> error.problems
    (Problem(field='team', message="choose one of the study's teams"),)
    >>> error = ServiceError([Problem("closes", "the wave must close after it opens"),
    ...                       ("number", "the study already has a wave 1")])
    >>> str(error)
    'the wave must close after it opens; the study already has a wave 1'
    >>> error.messages_for("number")
    ['the study already has a wave 1']
    """

    def __init__(
        self,
        problems: str | Iterable[Problem | tuple[str | None, str]],
        *,
        field: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            found: tuple[Problem, ...] = (Problem(field, problems),)
        else:
            if field is not None:
                raise TypeError("field goes with a single message, not with a list of problems")
            found = tuple(Problem(*problem) for problem in problems)
        if not found:
            raise ValueError("a ServiceError needs at least one problem")
        self.problems = found
        super().__init__(self.summary())

    @property
    def messages(self) -> list[str]:
        """Every problem's message, in order (for an error summary)."""
        return [problem.message for problem in self.problems]

    def messages_for(self, field: str | None) -> list[str]:
        """The messages of the problems about ``field`` (``None``: the request as a whole)."""
        return [problem.message for problem in self.problems if problem.field == field]

    def summary(self) -> str:
        """The problems in one line, as the CLI and logs show them."""
        return "; ".join(self.messages)

    def __str__(self) -> str:
        return self.summary()


def raise_problems(problems: Iterable[Problem]) -> None:
    """Raise a :class:`ServiceError` with ``problems`` if there are any; else do nothing.

    Examples
    --------
    >>> raise_problems([])
    >>> raise_problems([Problem("name", "missing value for \\"name\\"")])
    Traceback (most recent call last):
    ...
    survey_app.services.errors.ServiceError: missing value for "name"
    """
    found = list(problems)
    if found:
        raise ServiceError(found)
