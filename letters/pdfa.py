"""PDF/A-2b (ISO 19005-2, level B) for letters and print batches: the archive keeps what was sent, and PDF/A is what
an archive can still render in decades. Beyond embedded fonts (letters.fonts) that takes an sRGB output intent,
XMP metadata naming the PDF/A part and conformance, and a document info dictionary that says the same as the XMP.

Letters get these inside ReportLab's own document while it is drawn: re-opening 50,000 finished files with pikepdf
would cost a second parse of each. A print batch is assembled with pikepdf anyway and gets them there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

import pikepdf
from PIL import ImageCms
from reportlab.pdfbase.pdfdoc import PDFArray, PDFCatalog, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.pdfgen.canvas import Canvas

CREATOR_TOOL = "connect back office"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"


@dataclass(frozen=True)
class Described:
    """What the archive files a document under. `reference` is the letter's (or the batch's) own."""

    title: str
    author: str
    reference: str
    languages: tuple[str, ...]


@cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile made by LittleCMS: no profile file to ship or to find."""
    profile: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile


def _aware(moment: datetime) -> datetime:
    """A moment without a zone is taken as UTC, so both forms of it name the same instant."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def xmp_date(moment: datetime) -> str:
    return _aware(moment).isoformat(timespec="seconds")


def info_date(moment: datetime) -> str:
    """The info dictionary's form of the same moment, D:YYYYMMDDHHmmSS+HH'mm'."""
    moment = _aware(moment)
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


# Characters XML 1.0 cannot hold at all, escaped or not: a title carrying one would make the whole packet unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    return _xml_escape(_NOT_XML.sub("", text))


def _alt(text: str) -> str:
    return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'


def _bag(items: Sequence[str]) -> str:
    return "<rdf:Bag>" + "".join(f"<rdf:li>{escape(item)}</rdf:li>" for item in items) + "</rdf:Bag>"


def xmp_packet(about: Described, producer: str, moment: datetime) -> bytes:
    """The XMP metadata: the PDF/A identification and the same title, author, dates, producer and keywords as the
    info dictionary (info_entries), as PDF/A requires of both."""
    when = xmp_date(moment)
    body = (
        '<rdf:Description rdf:about=""'
        ' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
        f"<dc:format>application/pdf</dc:format><dc:title>{_alt(about.title)}</dc:title>"
        f"<dc:creator><rdf:Seq><rdf:li>{escape(about.author)}</rdf:li></rdf:Seq></dc:creator>"
        f"<dc:description>{_alt(about.reference)}</dc:description>"
        f"<dc:identifier>{escape(about.reference)}</dc:identifier>"
        f"<dc:language>{_bag(about.languages)}</dc:language>"
        f"<xmp:CreatorTool>{escape(CREATOR_TOOL)}</xmp:CreatorTool>"
        f"<xmp:CreateDate>{when}</xmp:CreateDate><xmp:ModifyDate>{when}</xmp:ModifyDate>"
        f"<xmp:MetadataDate>{when}</xmp:MetadataDate>"
        f"<pdf:Producer>{escape(producer)}</pdf:Producer><pdf:Keywords>{escape(about.reference)}</pdf:Keywords>"
        "<pdf:Trapped>False</pdf:Trapped>"
        "</rdf:Description>"
    )
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'{body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


def info_entries(about: Described, producer: str, moment: datetime) -> dict[str, str]:
    """The document info dictionary, entry by entry the XMP's equivalents."""
    return {"Title": about.title, "Author": about.author, "Subject": about.reference, "Keywords": about.reference,
            "Creator": CREATOR_TOOL, "Producer": producer, "CreationDate": info_date(moment),
            "ModDate": info_date(moment)}


# ReportLab writes only the catalog entries it knows of; an OutputIntents entry has to be added to the list.
_CATALOG_ENTRIES = [*PDFCatalog.__NoDefault__, "OutputIntents"]


def _reportlab_moment(canvas: Canvas) -> datetime:
    """The moment ReportLab stamps on the document, so the XMP dates are the info dictionary's to the second."""
    stamp = canvas._doc._timeStamp
    year, month, day, hour, minute, second = stamp.YMDhms
    zone = timezone(timedelta(hours=stamp.dhh, minutes=stamp.dmm))
    return datetime(year, month, day, hour, minute, second, tzinfo=zone)


def make_archival(canvas: Canvas, about: Described) -> None:
    """Turn a fresh ReportLab canvas into a PDF/A-2b document: info, XMP and output intent. The fonts it draws
    with must be embedded ones (letters.fonts)."""
    doc = canvas._doc
    moment = _reportlab_moment(canvas)
    producer = str(doc.info.producer)
    entries = info_entries(about, producer, moment)
    canvas.setTitle(entries["Title"])
    canvas.setAuthor(entries["Author"])
    canvas.setSubject(entries["Subject"])
    canvas.setKeywords(entries["Keywords"])
    canvas.setCreator(entries["Creator"])
    canvas.setDateFormatter(lambda *_: entries["CreationDate"])
    catalog = doc.Catalog
    # Unfiltered, as PDF/A wants the metadata readable without decoding the file.
    catalog.Metadata = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
                                 xmp_packet(about, producer, moment))
    profile = doc.Reference(PDFStream(PDFDictionary({"N": 3}), srgb_profile()))
    intent = PDFDictionary({"Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFA1"),
                            "OutputConditionIdentifier": PDFString(OUTPUT_CONDITION),
                            "Info": PDFString(OUTPUT_CONDITION), "DestOutputProfile": profile})
    catalog.__NoDefault__ = _CATALOG_ENTRIES
    catalog.OutputIntents = PDFArray([intent])


def make_archival_pikepdf(pdf: pikepdf.Pdf, about: Described, moment: datetime) -> None:
    """The same for a document assembled with pikepdf (a print batch)."""
    producer = f"pikepdf {pikepdf.__version__}"
    profile = pdf.make_stream(srgb_profile(), N=3)
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(OUTPUT_CONDITION), Info=pikepdf.String(OUTPUT_CONDITION),
        DestOutputProfile=profile)])
    pdf.Root.Metadata = pdf.make_stream(xmp_packet(about, producer, moment), Type=pikepdf.Name.Metadata,
                                        Subtype=pikepdf.Name.XML)
    info: dict[str, Any] = {f"/{key}": pikepdf.String(value)
                            for key, value in info_entries(about, producer, moment).items()}
    info["/Trapped"] = pikepdf.Name("/False")
    pdf.docinfo = pdf.make_indirect(pikepdf.Dictionary(info))
