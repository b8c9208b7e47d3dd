"""The ``<form method="post">`` of an HTML page, read with the standard library's parser:
their fields as a browser sees them (hidden ones, typed values, checked boxes, options
and the selected ones, named buttons)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # an <input> type, "textarea", "select" or "select-multiple"
    value: str = ""  # what the browser would post (the first selected option for a select)
    options: list[str] = field(default_factory=list)  # a select's
    selected: list[str] = field(default_factory=list)  # a select's selected options
    checked: bool = False  # a checkbox's or radio's
    required: bool = False
    maxlength: int | None = None
    minimum: str = ""  # a number's ``min``
    inputmode: str = ""  # "decimal", "numeric"...: a number typed in a text field


@dataclass
class Form:
    action: str  # as written in the page ("" posts back to the page)
    enctype: str
    fields: list[Field] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._selected: list[str] = []
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if attr.get("method", "get").lower() == "post":
                self._form = Form(
                    action=attr.get("action", ""),
                    enctype=attr.get("enctype", "application/x-www-form-urlencoded"),
                )
                self.forms.append(self._form)
            else:
                self._form = None
            return
        form = self._form
        if form is None or "disabled" in attr:
            return
        name = attr.get("name", "")
        maxlength = int(attr["maxlength"]) if attr.get("maxlength", "").isdigit() else None
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "image"}:
                form.buttons.append((name, attr.get("value", "")))
            elif kind not in {"button", "reset"}:
                form.fields.append(
                    Field(
                        name,
                        kind,
                        attr.get("value", "on" if kind in {"checkbox", "radio"} else ""),
                        checked="checked" in attr,
                        required="required" in attr,
                        maxlength=maxlength,
                        minimum=attr.get("min", ""),
                        inputmode=attr.get("inputmode", ""),
                    )
                )
        elif tag == "button" and name and attr.get("type", "submit").lower() == "submit":
            form.buttons.append((name, attr.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = Field(
                name, "textarea", required="required" in attr, maxlength=maxlength
            )
            form.fields.append(self._textarea)
        elif tag == "select" and name:
            kind = "select-multiple" if "multiple" in attr else "select"
            self._select = Field(name, kind, required="required" in attr)
            self._selected = []
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = (attr.get("value"), "selected" in attr)
            self._option_text = ""

    def _close_option(self) -> None:
        if self._option is None or self._select is None:
            return
        value, selected = self._option
        value = self._option_text.strip() if value is None else value
        self._select.options.append(value)
        if selected:
            self._selected.append(value)
        self._option = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]  # as browsers do
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            select = self._select
            select.selected = list(self._selected)
            if select.kind == "select":
                chosen = self._selected[:1] or select.options[:1]
                select.value = chosen[0] if chosen else ""
            self._select = None
        elif tag == "form":
            self._form = None


def post_forms(html: str) -> list[Form]:
    """Every ``<form method="post">`` of the page, in order."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms
