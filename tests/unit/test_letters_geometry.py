"""R6: the recipient block sits inside the envelope's window, for left and right models, with 3–6 lines."""

from __future__ import annotations

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from letters import geometry
from letters.geometry import MM

SIX = ["Muster Müller & Söhne AG", "Abteilung Personal", "c/o Treuhand Zürich GmbH", "Bahnhofstrasse 112",
       "Postfach", "3000 Bern 8"]
THREE = ["Muster AG", "Postfach", "3000 Bern"]
RETURN = "Ausgleichskasse Exfour, Postfach, 3001 Bern"


def _inside(block: geometry.RecipientBlock, window: geometry.Window) -> None:
    top, bottom = geometry.block_bounds(block)
    assert window.y <= top and bottom <= window.bottom
    for line in (block.return_line, *block.lines):
        width = stringWidth(line.text, "Helvetica", line.size) / MM
        assert window.x <= line.x and line.x + width <= window.right, line.text


@pytest.mark.parametrize("name", sorted(geometry.MODELS))
@pytest.mark.parametrize("address", [THREE, SIX], ids=["3 lines", "6 lines"])
def test_r6_address_block_inside_the_window_of_every_model(name, address):
    model = geometry.envelope(name)
    block = geometry.recipient_block(model, RETURN, address, stringWidth)
    _inside(block, model.window)
    assert [line.text for line in block.lines] == address
    assert block.lines[-1].text.split(" ", 1)[0].isdigit()  # the last line is `NNNN Town`


def test_r6_left_and_right_models_put_the_address_on_their_side():
    left, right = geometry.envelope("C5_LEFT"), geometry.envelope("c5_right")
    assert (left.side, right.side) == ("left", "right")
    assert geometry.recipient_block(left, RETURN, THREE, stringWidth).lines[0].x < geometry.PAGE_W / 2
    assert geometry.recipient_block(right, RETURN, THREE, stringWidth).lines[0].x > geometry.PAGE_W / 2


def test_r6_blank_lines_are_dropped_and_the_line_count_is_enforced():
    model = geometry.envelope("C5_LEFT")
    block = geometry.recipient_block(model, RETURN, ["Muster AG", "", "  ", "Postfach", "3000 Bern"], stringWidth)
    assert [line.text for line in block.lines] == THREE
    step = {round(b.baseline - a.baseline, 6) for a, b in zip(block.lines, block.lines[1:], strict=False)}
    assert len(step) == 1  # evenly spaced: no gap where a blank line was
    with pytest.raises(ValueError):
        geometry.recipient_block(model, RETURN, ["Muster AG", "3000 Bern"], stringWidth)
    with pytest.raises(ValueError):
        geometry.recipient_block(model, RETURN, [*SIX, "Schweiz"], stringWidth)


def test_r6_a_very_long_name_shrinks_then_is_cut_but_stays_in_the_window():
    model = geometry.envelope("C5_RIGHT")
    long_name = "Genossenschaft für die Förderung der Sozialversicherungen im Berggebiet " * 3
    block = geometry.recipient_block(model, RETURN, [long_name, "Dorfstrasse 1", "3900 Brig"], stringWidth)
    _inside(block, model.window)
    assert block.font_size >= geometry.ADDRESS_MIN_SIZE
    assert block.lines[0].text.endswith("…") and block.lines[2].text == "3900 Brig"


def test_r6_custom_window_from_letter_window_setting():
    model = geometry.envelope("C5_LEFT", "22, 48, 90, 40")
    assert model.name == "CUSTOM" and model.window == geometry.Window(22, 48, 90, 40)
    _inside(geometry.recipient_block(model, RETURN, SIX, stringWidth), model.window)
    with pytest.raises(geometry.UnknownEnvelope):
        geometry.envelope("C5_LEFT", "22,48,90")
    with pytest.raises(geometry.UnknownEnvelope):
        geometry.envelope("C5_LEFT", "150,48,90,40")  # off the sheet
    with pytest.raises(geometry.UnknownEnvelope):
        geometry.envelope("C4_WHATEVER")
