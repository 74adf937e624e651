"""Import: boundaries and ledgers from files, checked row by row, all or nothing, undoable."""

from pages.shared.shell import enter

enter()  # started alone (the first request after a start): the shell runs this page

import io
import tempfile
from pathlib import Path

import streamlit as st

from gridmap.errors import GridmapError
from gridmap.i18n import t
from gridmap.io import boundaries, importing
from gridmap.sanitize import display_name, plain, upload_suffix
from pages.shared import common as ui
from pages.shared import imports

lang = ui.lang()
st.title(t("import.title", lang))
st.caption(t("import.intro", lang))
if flash := st.session_state.pop("gridmap.import.flash", None):
    st.success(plain(flash))

KINDS = ("households", "workers", "visits", "grids", "areas")


left, right = st.columns([1, 2])
kind = left.selectbox(t("import.kind", lang), KINDS,
                      format_func=lambda k: t(f"import.kind.{k}", lang))
spatial = kind in ("grids", "areas")
ui.uploader_words(lang)
upload = right.file_uploader(
    t("import.file", lang), key=f"gridmap.import.file.{kind}",
    type=[x.lstrip(".") for x in (boundaries.UPLOAD_SUFFIXES if spatial
                                   else importing.UPLOAD_SUFFIXES)])
options = {}
if spatial:
    c1, c2, c3 = st.columns(3)
    if kind == "areas":
        options["level"] = c1.selectbox(t("import.level", lang),
                                        ("district", "street", "community"),
                                        format_func=lambda v: t(f"level.{v}", lang))
    crs = c2.text_input(t("import.crs", lang), placeholder="EPSG:4549 / gcj02 / bd09")
    options["crs"] = crs.strip() or None
    encoding = c3.text_input(t("import.encoding", lang), placeholder="GBK")
    options["encoding"] = encoding.strip() or None
saved = st.file_uploader(t("import.mapping_file", lang), type=["json"],
                         key=f"gridmap.import.mapping.{kind}")

if upload is not None:
    # The upload's own name is a label only (shown, escaped); the bytes are read from
    # memory, or for boundaries written under a generated name in a private folder.
    name = display_name(upload.name)
    edited = st.session_state.get(f"gridmap.import.edited.{kind}.{name}")
    try:
        mapping = importing.mapping_from_bytes(saved.getvalue(), display_name(saved.name)) \
            if saved is not None else None
        if spatial:
            suffix = upload_suffix(upload.name, boundaries.UPLOAD_SUFFIXES)
            with tempfile.TemporaryDirectory(prefix="gridmap-import-") as folder:
                path = Path(folder) / f"upload{suffix}"
                path.write_bytes(upload.getvalue())
                prepared = boundaries.prepare_boundaries(kind, path, store=ui.store(), name=name,
                                                         mapping=edited or mapping, **options)
        else:
            upload_suffix(upload.name, importing.UPLOAD_SUFFIXES)
            bar = st.progress(0.0)
            prepared = importing.prepare(kind, io.BytesIO(upload.getvalue()), name,
                                         store=ui.store(), mapping=edited or mapping,
                                         as_of=ui.today(),
                                         progress=lambda f, m: bar.progress(min(f, 1.0), m))
            bar.empty()
    except GridmapError as exc:
        ui.show_error(exc, lang)
        st.stop()
    imports.mapping_editor(prepared, kind, name, spatial, lang)

    accepted = len(prepared.frames.get(kind, []))
    cols = st.columns(4)
    cols[0].metric(t("import.read", lang), f"{prepared.rows_read:,}")
    cols[1].metric(t("import.accepted", lang), f"{accepted:,}")
    cols[2].metric(t("import.errors", lang), f"{len(prepared.errors):,}")
    cols[3].metric(t("import.warnings", lang), f"{len(prepared.warnings):,}")
    imports.problems(prepared, kind, lang)
    if prepared.errors:
        st.error(t("import.refused", lang))
    elif st.button(t("import.commit", lang), type="primary", disabled=not accepted):
        try:
            bar = st.progress(0.0)
            import_id = importing.commit(ui.store(), prepared, by=ui.principal().username,
                                         progress=lambda f, m: bar.progress(min(f, 1.0), m))
        except GridmapError as exc:
            ui.show_error(exc, lang)
        else:
            st.session_state["gridmap.import.flash"] = t("import.done", lang, id=import_id)
            st.rerun()

st.subheader(t("import.history", lang))
log = ui.read("imports").sort_values("imported_at", ascending=False)
st.dataframe(ui.labelled(log, lang), hide_index=True, width="stretch")
live = log.loc[log["undone_at"].isna(), "import_id"].tolist()
if live:
    l2, r2 = st.columns([3, 1])
    which = l2.selectbox(t("import.undo_which", lang), live, key="gridmap.import.undo")
    if r2.button(t("import.undo", lang)):
        try:
            ui.store().undo_import(which)
        except GridmapError as exc:
            ui.show_error(exc, lang)
        else:
            st.session_state["gridmap.import.flash"] = t("import.undone", lang, id=which)
            st.rerun()
