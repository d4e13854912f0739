"""Tables written as an XLSX workbook or a ZIP of CSV files, a page of rows at a time.

The XLSX writer is our own and small: one worksheet per table with inline strings, no
styles. XlsxWriter took 47 s for the million-event benchmark table and openpyxl longer;
this takes about 4 s, and both spreadsheet programs and openpyxl open the result. A table
longer than a worksheet's 1,048,576 rows goes on in a second sheet ("events 2").

Safe to open, whatever people typed into a group's or an organisation's name: every text
goes into the workbook as an inline string, which a spreadsheet never runs as a formula
(``=HYPERLINK(...)`` stays those characters; characters XML cannot carry are dropped). In
a CSV file, where a spreadsheet would run it, a text cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a ``'`` in front (OWASP's rule against CSV
injection). Numbers are numbers: a mean change of -0.5 stays -0.5.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any
from xml.sax.saxutils import escape

SHEET_ROWS = 1_048_576
REMEMBERED = 50_000  # cells' XML remembered by a workbook writer (a few MB)
Cell = str | int | float | None
FORMULA_START = frozenset("=+-@\t\r")  # what a spreadsheet may run at a CSV cell's start
# characters XML 1.0 cannot hold: a workbook with one would not open
_KEEP_CR = {"\r": "&#13;"}  # a bare carriage return would be read back as a line feed
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"


def _cell(value: Cell) -> str:
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        return f"<c><v>{value}</v></c>"
    if _NOT_XML.search(value):
        value = _NOT_XML.sub("", value)
    text = escape(value, _KEEP_CR)
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def neutralised(row: Sequence[Cell]) -> Sequence[Cell]:
    """A CSV row whose text cells a spreadsheet will not run: one starting with a
    ``FORMULA_START`` character gets a ``'`` in front; numbers are left as they are."""
    for value in row:
        if isinstance(value, str) and value[:1] in FORMULA_START:
            return [
                "'" + cell if isinstance(cell, str) and cell[:1] in FORMULA_START else cell
                for cell in row
            ]
    return row


class TableWriter:
    """Write tables one after another: ``start(name, header)``, then ``rows(...)`` any
    number of times. ``close()`` finishes the file."""

    def start(self, name: str, header: Sequence[str]) -> None:
        raise NotImplementedError

    def rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        raise NotImplementedError

    def add_file(self, name: str, content: bytes) -> None:
        """A file beside the tables (a chart); only a ZIP can hold one."""

    def dictionary(self, columns: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        """The data dictionary table: every table's columns with their meanings."""
        self.start("dictionary", ["table", "column", "meaning"])
        self.rows(
            (table, column, meaning)
            for table, described in columns.items()
            for column, meaning in described
        )

    def close(self) -> None:
        raise NotImplementedError


class XlsxWriter(TableWriter):
    def __init__(self, target: str | IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []
        self._sheet: IO[bytes] | None = None
        self._name = ""
        self._header: Sequence[str] = ()
        self._count = 0
        self._remembered: dict[Cell, str] = {}

    def start(self, name: str, header: Sequence[str]) -> None:
        self._finish_sheet()
        self._name, self._header = name, header
        self._open_sheet(name)

    def _open_sheet(self, name: str) -> None:
        self._names.append(name[:31])
        self._sheet = self._zip.open(
            f"xl/worksheets/sheet{len(self._names)}.xml", "w", force_zip64=True
        )
        self._sheet.write(_SHEET_START)
        self._count = 0
        self._write([self._header])

    def rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        batch: list[Sequence[Cell]] = []
        for row in rows:
            if self._count + len(batch) >= SHEET_ROWS:
                self._write(batch)
                batch = []
                self._finish_sheet()
                self._open_sheet(f"{self._name} {len(self._names) + 1}"[:31])
            batch.append(row)
        self._write(batch)

    def _write(self, rows: Sequence[Sequence[Cell]]) -> None:
        assert self._sheet is not None
        if rows:
            known, cell = self._remembered.get, self._cell
            text = "".join(
                "<row>" + "".join([known(value) or cell(value) for value in row]) + "</row>"
                for row in rows
            )
            self._sheet.write(text.encode("utf-8"))
            self._count += len(rows)

    def _cell(self, value: Cell) -> str:
        """A cell's XML; a text or whole number's remembered (tables repeat them: a
        group's key, a kind), up to ``REMEMBERED`` of them."""
        if type(value) is not str and type(value) is not int:
            return _cell(value)
        found = self._remembered.get(value)
        if found is None:
            found = _cell(value)
            if len(self._remembered) < REMEMBERED:
                self._remembered[value] = found
        return found

    def _finish_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(_SHEET_END)
            self._sheet.close()
            self._sheet = None

    def close(self) -> None:
        self._finish_sheet()
        sheets = "".join(_SHEET_TYPE.format(n=n) for n in range(1, len(self._names) + 1))
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=sheets))
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        entries = "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(self._names, 1)
        )
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{entries}</sheets></workbook>",
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self._names) + 1)
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{relations}</Relationships>",
        )
        self._zip.close()


class CsvZipWriter(TableWriter):
    """One ``NAME.csv`` per table (UTF-8 with a byte-order mark, so spreadsheet programs
    read ä and ö right), and any extra files, in one ZIP."""

    def __init__(self, target: str | IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._file: IO[bytes] | None = None
        self._text: io.TextIOWrapper | None = None
        self._csv: Any = None

    def start(self, name: str, header: Sequence[str]) -> None:
        self._finish()
        self._file = self._zip.open(f"{name}.csv", "w", force_zip64=True)
        self._text = io.TextIOWrapper(self._file, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)
        self._csv.writerow(neutralised(header))

    def rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        self._csv.writerows(map(neutralised, rows))

    def add_file(self, name: str, content: bytes) -> None:
        self._finish()
        self._zip.writestr(name, content)

    def _finish(self) -> None:
        if self._text is not None:
            self._text.close()  # closes the member too
            self._text = self._file = self._csv = None

    def close(self) -> None:
        self._finish()
        self._zip.close()


def table_writer(kind: str, target: str | IO[bytes]) -> TableWriter:
    """The writer for ``kind``: "xlsx" a workbook, "zip" a ZIP of CSV files."""
    return XlsxWriter(target) if kind == "xlsx" else CsvZipWriter(target)
