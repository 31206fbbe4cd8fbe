"""A realistic member register for benchmarks: `python -m bench.make_register N OUT.csv [--seed S]`.

Valid UIDs (mod-11 check digit found with stdnum), real Swiss postcodes and towns, languages as the regions
speak them (and some English), a share of c/o lines, PO boxes and members without e-mail.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from stdnum.ch import uid as uid_rules

from core.domain.register import COLUMNS, RegisterRow

PLACES = {
    "de": [("3000", "Bern"), ("8001", "Zürich"), ("4051", "Basel"), ("6003", "Luzern"), ("9000", "St. Gallen"),
           ("5000", "Aarau"), ("8400", "Winterthur"), ("7000", "Chur"), ("6300", "Zug"), ("2502", "Biel/Bienne")],
    "fr": [("1003", "Lausanne"), ("1201", "Genève"), ("2000", "Neuchâtel"), ("1700", "Fribourg"), ("1950", "Sion"),
           ("2800", "Delémont"), ("1400", "Yverdon-les-Bains"), ("1820", "Montreux")],
    "it": [("6900", "Lugano"), ("6500", "Bellinzona"), ("6600", "Locarno"), ("6850", "Mendrisio"),
           ("6830", "Chiasso")],
}
STREETS = {
    "de": ["Bahnhofstrasse", "Hauptstrasse", "Dorfstrasse", "Industriestrasse", "Seestrasse", "Marktgasse"],
    "fr": ["Rue du Lac", "Avenue de la Gare", "Rue du Marché", "Chemin des Vignes", "Route de Berne"],
    "it": ["Via Nassa", "Via Cantonale", "Corso Elvezia", "Via San Gottardo", "Piazza Grande"],
}
SURNAMES = ["Muster", "Keller", "Meier", "Dupont", "Rochat", "Favre", "Rossi", "Bernasconi", "Bianchi", "Weber",
            "Huber", "Schneider", "Gerber", "Morel", "Fontana", "Brunner", "Steiner", "Moser", "Girard", "Ferrari"]
TRADES = {
    "de": ["Schreinerei", "Treuhand", "Bau", "Gartenbau", "Informatik", "Transporte", "Metzgerei", "Consulting"],
    "fr": ["Boulangerie", "Fiduciaire", "Construction", "Menuiserie", "Informatique", "Transports", "Garage"],
    "it": ["Costruzioni", "Fiduciaria", "Falegnameria", "Informatica", "Trasporti", "Ristorante", "Edilizia"],
}
FORMS = {"de": ["AG", "GmbH"], "fr": ["SA", "Sàrl"], "it": ["SA", "Sagl"]}
POSTFACH = {"de": "Postfach", "fr": "Case postale", "it": "Casella postale"}


def valid_uid(rng: random.Random, taken: set[str]) -> str:
    """A new UID: 8 random digits, then the check digit that stdnum accepts (some bases have none)."""
    while True:
        base = f"{rng.randrange(10_000_000, 100_000_000)}"
        for check in "0123456789":
            candidate = f"CHE{base}{check}"
            if uid_rules.is_valid(candidate) and candidate not in taken:
                taken.add(candidate)
                return uid_rules.format(candidate)


def member(rng: random.Random, index: int, taken: set[str]) -> dict[str, str]:
    region = rng.choices(["de", "fr", "it"], weights=[63, 28, 9])[0]
    language = "en" if rng.random() < 0.04 else region
    postcode, town = rng.choice(PLACES[region])
    surname = rng.choice(SURNAMES)
    name = f"{rng.choice(TRADES[region])} {surname} {rng.choice(FORMS[region])}"
    has_po_box = rng.random() < 0.12
    street = "" if has_po_box and rng.random() < 0.5 else f"{rng.choice(STREETS[region])} {rng.randint(1, 120)}"
    domain = f"{surname.lower()}{index}.example"
    return {
        "member_number": f"{2_000_000 + index}",
        "uid": valid_uid(rng, taken),
        "name": name,
        "care_of": f"c/o Treuhand {rng.choice(SURNAMES)}" if rng.random() < 0.06 else "",
        "street": street,
        "po_box": f"{POSTFACH[region]} {rng.randint(1, 999)}" if has_po_box else "",
        "postcode": postcode,
        "town": town,
        "language": language,
        "email": f"info@{domain}" if rng.random() < 0.85 else "",
    }


def write_register(count: int, out: Path, seed: int = 20) -> list[RegisterRow]:
    """Write `count` members to `out` and return them as rows (row 2 is the first member, as in a spreadsheet)."""
    rng = random.Random(seed)
    taken: set[str] = set()
    rows: list[RegisterRow] = []
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for index in range(count):
            values = member(rng, index, taken)
            writer.writerow(values)
            rows.append(RegisterRow(row=index + 2, **values))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="how many members")
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--seed", type=int, default=20, help="the same seed gives the same register")
    args = parser.parse_args()
    write_register(args.count, args.out, args.seed)


if __name__ == "__main__":
    main()
