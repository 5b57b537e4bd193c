"""A fast PDF content-stream interpreter for text: pdfminer's operators, fed by a regex tokenizer, with drawing operators skipped.

pdfminer reads content streams one character at a time in Python; on invoice forms (thousands of
ruling, seal and QR path operators) that is most of the reading time. This interpreter tokenizes
with one compiled regex, keeps pdfminer's own operator methods for everything that moves text
(state, matrices, fonts, text showing, XObjects, inline images) and drops operands of path,
painting, colour and marked-content operators without running them: the text device ignores them.
Tokens come out as pdfminer's parser makes them (same numbers, names, strings, arrays, dicts).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdftypes import LITERALS_ASCII85_DECODE, PDFStream, resolve1, stream_value
from pdfminer.psparser import KWD, LIT, literal_name

# One token after optional whitespace (pdfminer skips NUL too). Group numbers are dispatched on below.
_TOKEN = re.compile(
    rb"[\x00\s]*(?:"
    rb"([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]*)|[-+])"  # 1 number (a lone sign or dot gives no token)
    rb"|([A-Za-z][^#/%\[\]()<>{}\s]*)"  # 2 keyword (operator, true, false, null)
    rb"|/([^/%\[\]()<>{}\s]*)"  # 3 name, '#xx' escapes decoded below
    rb"|\(([^()\\]*)\)"  # 4 literal string without escapes or nested parentheses
    rb"|(<<)|(>>)|(\[)|(\])"  # 5-8
    rb"|<([0-9A-Fa-f\s]*)>"  # 9 hex string
    rb"|(%[^\r\n]*)"  # 10 comment
    rb"|(.)"  # 11 anything else: a one-character keyword (' and "), or '(' '<' '{' '}' handled by hand
    rb")",
    re.DOTALL,
)
_SPACE = re.compile(rb"\s")
_NAME_HEX = re.compile(rb"#([0-9A-Fa-f]{0,2})")
_STRING_STOP = re.compile(rb"[()\\]")
_ESCAPES = {ord(k): v for k, v in {"b": 8, "t": 9, "n": 10, "f": 12, "r": 13, "(": 40, ")": 41, "\\": 92}.items()}
_OCTAL = b"01234567"
_HEX_CHARS = frozenset(b"0123456789abcdefABCDEF \t\n\r\x0b\x0c")

# Operators that cannot move or change text: path construction and painting, clipping, colour,
# line style, shading, marked content. Their operands are dropped unread.
SKIPPED = frozenset(
    b"m l c v y h re S s f F f* B B* b b* n W W* CS cs SC SCN sc scn G g RG rg K k "
    b"w J j M d ri i gs sh BMC BDC EMC MP DP d0 d1 BX EX".split()
)

_KW_TRUE, _KW_FALSE = b"true", b"false"
_KW_BI, _KW_ID = b"BI", b"ID"


def _operators() -> dict[bytes, tuple[Callable[..., None] | None, int]]:
    """Operator bytes -> (pdfminer's unbound do_ method or None when skipped, operand count)."""
    table: dict[bytes, tuple[Callable[..., None] | None, int]] = {}
    for attr in dir(PDFPageInterpreter):
        if not attr.startswith("do_"):
            continue
        func = getattr(PDFPageInterpreter, attr)
        name = attr[3:].replace("_a", "*").replace("_w", '"').replace("_q", "'").encode()
        table[name] = (None if name in SKIPPED else func, func.__code__.co_argcount - 1)
    return table


_OPERATORS = _operators()


def _name(raw: bytes) -> Any:
    if b"#" in raw:
        raw = _NAME_HEX.sub(lambda m: bytes((int(m[1], 16),)) if m[1] else b"", raw)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _hex(raw: bytes) -> bytes:
    if _SPACE.search(raw):
        raw = _SPACE.sub(b"", raw)
    if len(raw) % 2:  # pdfminer reads an odd last digit on its own ("2" -> 0x02)
        return bytes.fromhex(raw[:-1].decode()) + bytes((int(raw[-1:], 16),))
    return bytes.fromhex(raw.decode())


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    """The literal string whose '(' is at data[pos-1]: nested parentheses, escapes as pdfminer reads them."""
    out = bytearray()
    depth = 1
    n = len(data)
    while True:
        m = _STRING_STOP.search(data, pos)
        if m is None:
            out += data[pos:]
            return bytes(out), n
        j = m.start()
        out += data[pos:j]
        c = data[j]
        if c == 0x5C:  # backslash
            j += 1
            if j >= n:
                return bytes(out), n
            c = data[j]
            if c in _OCTAL:
                k = j
                while k < n and k - j < 3 and data[k] in _OCTAL:
                    k += 1
                out.append(int(data[j:k], 8) & 0xFF)
                pos = k
                continue
            if c in _ESCAPES:
                out.append(_ESCAPES[c])
            elif c == 0x0D and data[j + 1 : j + 2] == b"\n":
                j += 1
            # pdfminer drops any other escaped character (and an escaped line end)
            pos = j + 1
        elif c == 0x28:  # (
            depth += 1
            out.append(c)
            pos = j + 1
        else:  # )
            depth -= 1
            if depth == 0:
                return bytes(out), j + 1
            out.append(c)
            pos = j + 1


def _inline_data(data: bytes, pos: int, eos: bytes) -> tuple[bytes, int]:
    """Inline image bytes from pos up to `eos` followed by white space; returns (bytes, position after it)."""
    m = re.compile(re.escape(eos) + rb"\s").search(data, pos)
    if m is None:
        return data[pos:], len(data)
    chunk = data[pos : m.start()]
    if chunk.endswith(b"\r\n"):
        chunk = chunk[:-2]
    elif chunk.endswith((b"\r", b"\n")):
        chunk = chunk[:-1]
    return chunk, m.end()


class FastInterpreter(PDFPageInterpreter):
    """pdfminer's page interpreter with `execute` replaced: same operators and devices, faster tokens, no drawing."""

    def execute(self, streams: Sequence[object]) -> None:
        chunks = []
        self.stream_ids.clear()
        for obj in streams:
            stream = stream_value(obj)
            if stream.objid is None or stream.objid in self.parent_stream_ids:
                continue  # inline or circular (a form drawing itself): pdfminer refuses these too
            self.stream_ids.add(stream.objid)
            chunks.append(stream.get_data())
        self.run(b"\n".join(chunks))

    def run(self, data: bytes) -> None:
        ops = _OPERATORS
        match = _TOKEN.match
        args: list[Any] = []  # operands of the next operator (pdfminer's argstack)
        nest: list[tuple[list[Any], str]] = []  # enclosing operand lists of open arrays/dicts/procs
        cur = args
        pos, end = 0, len(data)
        while pos < end:
            m = match(data, pos)
            if m is None:  # only trailing white space is left
                break
            pos = m.end()
            kind = m.lastindex
            if kind is None:
                continue
            if kind == 1:
                text = m.group(1)
                try:
                    cur.append(float(text) if b"." in text else int(text))
                except ValueError:
                    pass
                continue
            if kind == 2:
                word = m.group(2)
                if word == _KW_TRUE:
                    cur.append(True)
                    continue
                if word == _KW_FALSE:
                    cur.append(False)
                    continue
            elif kind == 3:
                cur.append(_name(m.group(3)))
                continue
            elif kind == 4:
                cur.append(m.group(4))
                continue
            elif kind == 5:
                nest.append((cur, "d"))
                cur = []
                continue
            elif kind == 6:
                if nest and nest[-1][1] == "d":
                    items = cur
                    cur = nest.pop()[0]
                    if len(items) % 2 == 0:
                        cur.append({literal_name(k): v for k, v in zip(items[::2], items[1::2]) if v is not None})
                continue
            elif kind == 7:
                nest.append((cur, "a"))
                cur = []
                continue
            elif kind == 8:
                if nest and nest[-1][1] == "a":
                    items = cur
                    cur = nest.pop()[0]
                    cur.append(items)
                continue
            elif kind == 9:
                cur.append(_hex(m.group(9)))
                continue
            elif kind == 10:
                continue
            else:
                c = m.group(11)
                if c == b"(":
                    text, pos = _string(data, pos)
                    cur.append(text)
                    continue
                if c == b"<":  # a hex string that does not end in '>'
                    k = pos
                    while k < end and data[k] in _HEX_CHARS:
                        k += 1
                    cur.append(_hex(data[pos:k]))
                    pos = k
                    continue
                if c == b"{":
                    nest.append((cur, "p"))
                    cur = []
                    continue
                if c == b"}":
                    if nest and nest[-1][1] == "p":
                        items = cur
                        cur = nest.pop()[0]
                        cur.append(items)
                    continue
                if c == b">":  # a stray '>' gives no token
                    continue
                word = c
            # An operator (or a keyword inside an array or dict, kept there as pdfminer does).
            if word == _KW_BI:
                nest.append((cur, "i"))
                cur = []
                continue
            if word == _KW_ID:
                if not nest or nest[-1][1] != "i":
                    continue  # pdfminer drops an ID without its BI
                items = cur
                cur = nest.pop()[0]
                if len(items) % 2:
                    continue
                # pdfminer re-seeks its parser for the image data, which forgets any open array or dict.
                nest.clear()
                cur = args
                params = {literal_name(k): resolve1(v) for k, v in zip(items[::2], items[1::2])}
                eos = b"EI"
                filters = params.get("F")
                if filters is not None:
                    first = filters if not isinstance(filters, list) else (filters[0] if filters else None)
                    if first in LITERALS_ASCII85_DECODE:
                        eos = b"~>"
                raw, pos = _inline_data(data, m.start(2) + 3, eos)
                if eos != b"EI":
                    raw += eos
                image = PDFStream(params, raw)
                if eos == b"EI":
                    self.do_EI(image)
                else:
                    cur.append(image)
                continue
            if nest:
                cur.append(KWD(word))
                continue
            op = ops.get(word)
            if op is None:
                continue  # unknown operator: pdfminer leaves its operands where they are
            func, nargs = op
            if nargs:
                if len(args) < nargs:
                    del args[:]
                    continue
                operands = args[-nargs:]
                del args[-nargs:]
                if func is not None:
                    func(self, *operands)
            elif func is not None:
                func(self)
