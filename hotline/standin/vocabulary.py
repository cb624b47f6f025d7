"""The TwiML voice vocabulary as twilio-python knows it, and a check of TwiML against it.

Twilio generates `twilio/twiml/voice_response.py` from its TwiML definitions:
each class is an element, each builder method (`Gather.say`) is an allowed
child, and the builder's keyword parameters, renamed the way twilio-python
renames them (`TwiML.MAP`, `lower_camel`), are the child's attributes. The
module's source is parsed (not executed) with `ast`, once per process.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from twilio.twiml import TwiML, lower_camel

from hotline.standin.suggest import did_you_mean

ROOT_CLASS = "VoiceResponse"
XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
# str() of a Python list or tuple, e.g. "['ringing', 'answered']" (see telephony.md).
PYTHON_SEQUENCE = re.compile(r"^\s*(\[.*\]|\(.*\))\s*$", re.DOTALL)


class TwimlError(ValueError):
    """TwiML that twilio-python could not have produced, or that Twilio would misread."""


@dataclass(frozen=True)
class ChildRule:
    """An element allowed inside a parent, with the attributes that parent's builder takes."""

    class_name: str
    attributes: frozenset[str]


@dataclass(frozen=True)
class ElementRule:
    """One twilio-python class: its tag, whether it holds text, and what may nest in it."""

    class_name: str
    tag: str
    takes_text: bool
    children: Mapping[str, ChildRule]


@dataclass(frozen=True)
class Vocabulary:
    """Every voice TwiML class, keyed by class name; the root is `VoiceResponse`."""

    source: Path
    elements: Mapping[str, ElementRule]

    @property
    def root(self) -> ElementRule:
        return self.elements[ROOT_CLASS]

    def parents_of(self, tag: str) -> list[str]:
        """Tags of the elements that may contain an element called `tag`."""
        return sorted({rule.tag for rule in self.elements.values() if tag in rule.children})


@cache
def voice_vocabulary() -> Vocabulary:
    """The vocabulary of the installed twilio-python's voice_response.py."""
    found = importlib.util.find_spec("twilio.twiml.voice_response")
    if found is None or found.origin is None:
        raise TwimlError("twilio.twiml.voice_response is not installed")
    source = Path(found.origin)
    module = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    classes = [node for node in module.body if isinstance(node, ast.ClassDef)]
    tags = {cls.name: _tag_of(cls) for cls in classes}
    text_params = {cls.name: _init_params(cls) for cls in classes}
    elements: dict[str, ElementRule] = {}
    for cls in classes:
        children: dict[str, ChildRule] = {}
        for method in cls.body:
            built = _nested_call(method)
            if built is None or built[0] not in tags:
                continue
            child, call = built
            names = {k.arg for k in call.keywords if k.arg is not None}
            # Keywords that fill the child's own __init__ become its text, not attributes.
            attributes = frozenset(_wire_name(n) for n in names - text_params[child])
            children[tags[child]] = ChildRule(child, attributes)
        elements[cls.name] = ElementRule(
            class_name=cls.name,
            tag=tags[cls.name],
            takes_text=bool(text_params[cls.name]),
            children=MappingProxyType(children),
        )
    if ROOT_CLASS not in elements:
        raise TwimlError(f"{source} has no {ROOT_CLASS} class")
    return Vocabulary(source=source, elements=MappingProxyType(elements))


def check_twiml(xml: str | bytes) -> ET.Element:
    """Parse voice TwiML, raising TwimlError for anything twilio-python does not know."""
    try:
        # The input is the app's own TwiML under test, not data from outside.
        root = ET.fromstring(xml)  # noqa: S314
    except ET.ParseError as exc:
        raise TwimlError(f"TwiML is not well-formed XML: {exc}") from exc
    vocabulary = voice_vocabulary()
    if root.tag != vocabulary.root.tag:
        raise TwimlError(f"TwiML root is <{root.tag}>, not <{vocabulary.root.tag}>")
    _check(root, vocabulary.root, frozenset(), vocabulary, f"/{root.tag}")
    return root


def _check(
    element: ET.Element,
    rule: ElementRule,
    attributes: frozenset[str],
    vocabulary: Vocabulary,
    where: str,
) -> None:
    tag = element.tag
    for raw_name, value in element.attrib.items():
        name = raw_name.replace(XML_NAMESPACE, "xml:")
        if name not in attributes:
            raise TwimlError(
                f"TwiML <{tag}> has attribute '{name}' that twilio-python does not know"
                f"{did_you_mean(name, attributes)}, at {where}"
            )
        if PYTHON_SEQUENCE.match(value):
            raise TwimlError(
                f"TwiML <{tag}> attribute '{name}' is a Python list written with str(): "
                f"{value!r}; pass a space-separated string, at {where}"
            )
    if not rule.takes_text:
        stray = [element.text] + [child.tail for child in element]
        text = next((t.strip() for t in stray if t and t.strip()), None)
        if text is not None:
            raise TwimlError(
                f"TwiML <{tag}> has text {text!r} but twilio-python gives <{tag}> none, at {where}"
            )
    for index, child in enumerate(element, start=1):
        allowed = rule.children.get(child.tag)
        place = f"{where}/{child.tag}[{index}]"
        if allowed is None:
            raise TwimlError(_misplaced(child.tag, tag, rule, vocabulary, place))
        child_rule = vocabulary.elements[allowed.class_name]
        _check(child, child_rule, allowed.attributes, vocabulary, place)


def _misplaced(tag: str, parent: str, rule: ElementRule, vocabulary: Vocabulary, at: str) -> str:
    parents = vocabulary.parents_of(tag)
    if parents:
        inside = ", ".join(f"<{p}>" for p in parents)
        return (
            f"TwiML <{tag}> cannot be inside <{parent}>; twilio-python nests it in {inside}, "
            f"at {at}"
        )
    return (
        f"TwiML element <{tag}> is unknown to twilio-python"
        f"{did_you_mean(tag, frozenset(rule.children))}, at {at}"
    )


def _wire_name(keyword: str) -> str:
    # Exactly what TwiML.__init__ does with a keyword argument.
    return str(lower_camel(TwiML.MAP.get(keyword, keyword)))


def _tag_of(cls: ast.ClassDef) -> str:
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and any(
                isinstance(t, ast.Attribute) and t.attr == "name" and _is_self(t.value)
                for t in node.targets
            )
        ):
            return str(node.value.value)
    return cls.name


def _init_params(cls: ast.ClassDef) -> frozenset[str]:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            return frozenset(a.arg for a in node.args.args[1:] + node.args.kwonlyargs)
    return frozenset()


def _nested_call(method: ast.stmt) -> tuple[str, ast.Call] | None:
    """`X` and the `X(...)` call in a builder's `return self.nest(X(...))`."""
    if not isinstance(method, ast.FunctionDef) or method.name.startswith("__"):
        return None
    for node in ast.walk(method):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "nest"
            and _is_self(node.func.value)
            and node.args
            and isinstance(node.args[0], ast.Call)
            and isinstance(node.args[0].func, ast.Name)
        ):
            return node.args[0].func.id, node.args[0]
    return None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"
