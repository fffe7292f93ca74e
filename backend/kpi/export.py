"""KPI downloads: CSV and XLSX (openpyxl) with Bahasa Indonesia headers — the rows of
kpi_report() and, in the workbook, its counts on a second sheet."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.kpi.measures import MEASURE_BY_NAME

# (header, how a value is read from a row)
COLUMNS = (
    ("Kelompok", lambda r: r["label"] if r["label"] is not None else ""),
    ("Kode kelompok", lambda r: "" if r["group"] is None else r["group"]),
    ("Ukuran", lambda r: MEASURE_BY_NAME[r["measure"]].label["id"]),
    ("Kode ukuran", lambda r: r["measure"]),
    ("Jumlah", lambda r: r["count"]),
    ("Belum selesai", lambda r: r["open"]),
    ("p50 (detik)", lambda r: r["p50_s"]),
    ("p90 (detik)", lambda r: r["p90_s"]),
    ("Target (detik)", lambda r: r["target_s"]),
    ("Porsi target", lambda r: r["target_share"]),
    ("Sumber target", lambda r: r["target_source"]),
    ("Kepatuhan", lambda r: r["compliance"]),
    ("Memenuhi target", lambda r: None if r["met"] is None else ("ya" if r["met"] else "tidak")),
    ("Jumlah periode lalu", lambda r: (r.get("previous") or {}).get("count")),
    ("p50 periode lalu (detik)", lambda r: (r.get("previous") or {}).get("p50_s")),
    ("p90 periode lalu (detik)", lambda r: (r.get("previous") or {}).get("p90_s")),
    ("Kepatuhan periode lalu", lambda r: (r.get("previous") or {}).get("compliance")),
)
COUNT_LISTS = (("by_channel", "Saluran"), ("by_category", "Kategori"),
               ("by_kecamatan", "Kecamatan"), ("by_desa", "Desa"), ("by_hour", "Jam"),
               ("by_agency", "Instansi"), ("by_unit", "Unit"))
COUNT_FIGURES = (("reports", "Laporan"), ("test_reports_excluded", "Laporan uji (tidak dihitung)"),
                 ("incidents", "Kejadian"), ("dispatches", "Pengerahan unit"),
                 ("rejected", "Laporan ditolak"), ("merged", "Laporan digabung (duplikat)"),
                 ("escalated", "Eskalasi"), ("undelivered_alerts", "Peringatan tidak terkirim"),
                 ("silent", "SOS senyap"), ("no_location", "Laporan tanpa lokasi"),
                 ("outside_regency", "Laporan di luar wilayah"))
REASONS = {"prank": "Ditolak: iseng", "test": "Ditolak: uji coba",
           "invalid": "Ditolak: tidak valid", "timed_out": "Eskalasi: tidak dijawab",
           "declined": "Eskalasi: ditolak unit", "unreachable": "Eskalasi: tak terjangkau"}


def _title(report: dict) -> str:
    return (f"Kinerja layanan {report['start'].isoformat()} s.d. {report['end'].isoformat()} "
            f"({report['timezone']})")


def to_csv(report: dict) -> str:
    """One header line, then one line per row (UTF-8 text; decimals with a point)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h for h, _ in COLUMNS])
    for row in report["rows"]:
        writer.writerow(["" if v is None else v for v in (get(row) for _, get in COLUMNS)])
    return out.getvalue()


def count_lines(counts: dict) -> list[tuple[str, str, int]]:
    """(section, item, count) lines of the counts, in Bahasa."""
    lines = [("Ringkasan", label, counts[key]) for key, label in COUNT_FIGURES]
    for key, value in (*counts["rejections"].items(), *counts["escalations"].items()):
        lines.append(("Rincian", REASONS[key], value))
    for key, section in COUNT_LISTS:
        lines += [(section, item["label"] if item["label"] is not None else "—", item["count"])
                  for item in counts[key]]
    return lines


def to_xlsx(report: dict) -> bytes:
    """A workbook: sheet "Kinerja" (the rows), sheet "Hitungan" (the counts)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Kinerja"
    sheet.append([_title(report)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([h for h, _ in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in report["rows"]:
        sheet.append([get(row) for _, get in COLUMNS])
    for letter, width in zip("ABCDEFGHIJKLMNOPQ", (34, 16, 24, 16) + (12,) * 13):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    counts = book.create_sheet("Hitungan")
    counts.append(["Bagian", "Butir", "Jumlah"])
    for cell in counts[1]:
        cell.font = Font(bold=True)
    for line in count_lines(report["counts"]):
        counts.append(list(line))
    counts.column_dimensions["A"].width, counts.column_dimensions["B"].width = 16, 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
