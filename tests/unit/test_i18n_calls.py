"""One way to translate, seen by extraction: every translator is called as `t`, every literal
given to it is in the Chinese catalog, and no English literal reaches a sender untranslated."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.unit.test_i18n import _catalog

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "reminders", "rules", "storage")
# What makes a translator: translator(language) for anyone, tr(update, context) for the sender.
MAKERS = {"translator", "tr"}
# Translator methods (and their extraction keywords): the message ids they take.
METHODS = {"as_plain": 1, "plural": 2, "as_plain_plural": 2}
# Where text goes to a person: a literal here skips the catalog.
SENDERS = {
    "send", "show", "deliver", "tell", "send_message", "edit_message_text", "reply_text",
    "button", "InlineKeyboardButton", "KeyboardButton", "answer_callback_query", "Refused",
    "answer", "send_photo", "send_document", "edit_message_caption",
}
TEXT_KEYWORDS = {"text", "message", "caption"}
WORDS = re.compile(r"[A-Za-z]{2,}")
# Shown as is in every language: a language's own name on the language buttons.
UNTRANSLATED = {"English"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or "sandbox" in path.parts:
                continue  # schema history, and the emulator's own developer page
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), str(path))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _makes_translator(node: ast.expr) -> bool:
    """`translator(x)`, `tr(u, c)`, or a choice between translators (`t if ok else ...`)."""
    if isinstance(node, ast.Call):
        return _name(node.func) in MAKERS
    if isinstance(node, ast.IfExp):
        return any(_makes_translator(n) or _is_t(n) for n in (node.body, node.orelse))
    return False


def _is_t(node: ast.expr) -> bool:
    return _name(node) == "t"


def _translator_calls(tree: ast.AST) -> Iterator[tuple[ast.Call, int]]:
    """Calls of a translator: `t(...)`, `self.t(...)`, `t.plural(...)`; with how many ids."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _is_t(node.func):
            yield node, 1
        elif isinstance(node.func, ast.Attribute) and node.func.attr in METHODS and _is_t(
            node.func.value
        ):
            yield node, METHODS[node.func.attr]


def _where(file: str, node: ast.AST) -> str:
    return f"{file}:{getattr(node, 'lineno', '?')}"


def test_a_translator_is_only_ever_called_t() -> None:
    wrong = []
    for file, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call | ast.Attribute):
                # translator(x)("...") or tr(u, c).as_plain("..."): extraction cannot see it.
                inner = node.func if isinstance(node, ast.Call) else node.value
                if isinstance(inner, ast.Call) and _name(inner.func) in MAKERS:
                    wrong.append(_where(file, node) + " calls a translator without naming it t")
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if _makes_translator(node.value) or (
                    isinstance(node.value, ast.IfExp) and _is_t(node.value.body)
                ):
                    wrong += [
                        _where(file, node) + f" keeps a translator as {_name(target)!r}"
                        for target in targets
                        if _name(target) != "t"
                    ]
            if isinstance(node, ast.arg) and node.annotation is not None:
                annotation = ast.unparse(node.annotation)
                if "Translator" in annotation and node.arg not in {"t", "self"}:
                    wrong.append(_where(file, node) + f" takes a translator as {node.arg!r}")
    assert not wrong, "\n".join(wrong)


def test_every_literal_given_to_a_translator_is_in_the_catalog() -> None:
    catalog = _catalog()
    missing, unseen = [], []
    for file, tree in _modules():
        for call, ids in _translator_calls(tree):
            for arg in call.args[:ids]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if arg.value not in catalog:
                        missing.append(_where(file, call) + f" {arg.value!r}")
                elif isinstance(arg, ast.JoinedStr | ast.BinOp):
                    unseen.append(_where(file, call) + " builds its message id")
    assert not unseen, "\n".join(unseen)
    assert not missing, "untranslated (run scripts/update-translations):\n" + "\n".join(missing)


def _literal_words(node: ast.expr) -> str | None:
    """English typed straight into a message: a literal or f-string part with words in it."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if WORDS.search(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        return text if WORDS.search(text) else None
    if isinstance(node, ast.BinOp):
        return _literal_words(node.left) or _literal_words(node.right)
    return None


def test_no_english_literal_reaches_a_sender_untranslated() -> None:
    wrong = []
    for file, tree in _modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in SENDERS):
                continue
            # The text a person reads: the first argument of a button, any text elsewhere.
            texts = node.args[:1] if _name(node.func) == "button" else node.args
            texts = [*texts, *(k.value for k in node.keywords if k.arg in TEXT_KEYWORDS)]
            for arg in texts:
                words = _literal_words(arg)
                if words is not None and words not in UNTRANSLATED:
                    wrong.append(_where(file, node) + f" sends {words!r} untranslated")
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_an_alias_and_an_unknown_literal() -> None:
    """The checks themselves: the ways English leaked before are caught."""
    leaky = ast.parse(
        "lt = translator(language)\n"
        "send(update, translator(x)('Hello'))\n"
        "t('Not a message anyone translated')\n"
        "button('Approve', 'mt', 1)\n"
    )
    calls = list(_translator_calls(leaky))
    assert [ast.unparse(c) for c, _ids in calls] == ["t('Not a message anyone translated')"]
    assign = leaky.body[0]
    assert isinstance(assign, ast.Assign) and _makes_translator(assign.value)
    sends = [n for n in ast.walk(leaky) if isinstance(n, ast.Call) and _name(n.func) in SENDERS]
    assert _literal_words(sends[-1].args[0]) == "Approve"


def test_untranslated_markup_templates_hold_no_words() -> None:
    """html_format is for markup around values (`<b>{name}</b>`); words go through `t`."""
    wrong = []
    for file, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == "html_format" and node.args:
                template = node.args[0]
                if isinstance(template, ast.Constant) and isinstance(template.value, str):
                    bare = re.sub(r"\{[^{}]*\}|<[^>]*>", "", template.value)
                    if WORDS.search(bare):
                        wrong.append(_where(file, node) + f" {template.value!r}")
    assert not wrong, "\n".join(wrong)
