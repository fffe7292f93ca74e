"""The public guide's built-in content (Bahasa Indonesia first, English second).

A fresh install publishes this as version 0; every admin edit is a new version in the database
(backend/guide/models.py) and this text is then only the starting point of the form.

Text is plain: a line starting with "- " is a list item, a blank line ends a paragraph.
`{sms_number}`, `{emergency_number}` and `{regency}` are filled in when the guide is served,
so a changed SMS number never needs a new version. Category labels are never written here:
they come from backend/categories.py; what this file adds per category is the word to type
in an SMS (checked against the SMS parser by tests/guide/test_content.py).
"""
from __future__ import annotations

EMERGENCY_NUMBER = "112"

# Section keys in the order people read them. The admin form edits exactly these.
SECTION_KEYS = ("when", "what_to_say", "sms", "categories", "after", "misuse", "direct")

# Placeholders an admin may use in titles and text.
PLACEHOLDERS = ("sms_number", "emergency_number", "regency")

# The first word of a plain-text SMS, per category (backend/sms/lexicon.py reads it).
SMS_WORDS = {
    "fire": "KEBAKARAN",
    "riot": "KERUSUHAN",
    "accident": "KECELAKAAN",
    "natural_disaster": "BANJIR",
    "health": "PINGSAN",
    "violence_women_children": "KDRT",
    "public_order": "MALING",
    "other": "DARURAT",
}

DEFAULT_EXAMPLE_DESA = "Kayu Ara"

# The shape of an SMS, by language of the reader (the SMS itself is always Bahasa).
SMS_FORMAT = {"id": "JENIS KEJADIAN di desa NAMA DESA",
              "en": "TYPE OF EMERGENCY di desa VILLAGE NAME"}

DEFAULT_SECTIONS: tuple[dict, ...] = (
    {"key": "when",
     "title": {"id": "Kapan menelepon {emergency_number}",
               "en": "When to call {emergency_number}"},
     "text": {
         "id": "Telepon {emergency_number} bila nyawa, kesehatan, rumah atau keamanan "
               "terancam sekarang dan perlu pertolongan segera, misalnya:\n"
               "- rumah, kebun atau lahan gambut terbakar\n"
               "- kecelakaan di jalan, di sungai atau di tempat kerja\n"
               "- banjir, tanah longsor, angin puting beliung\n"
               "- orang pingsan, sesak napas, kejang, melahirkan, keracunan, digigit ular\n"
               "- kekerasan terhadap perempuan atau anak\n"
               "- perkelahian massal, pencurian, perampokan\n"
               "\n"
               "Panggilan {emergency_number} gratis (bebas pulsa) dan dijawab 24 jam oleh "
               "pusat panggilan Kabupaten {regency}.",
         "en": "Call {emergency_number} when a life, someone's health, a home or public "
               "safety is in danger now and help is needed at once, for example:\n"
               "- a house, garden or peatland on fire\n"
               "- an accident on the road, on the river or at work\n"
               "- a flood, a landslide, a whirlwind\n"
               "- someone fainted, cannot breathe, has a seizure, is giving birth, was "
               "poisoned or bitten by a snake\n"
               "- violence against a woman or a child\n"
               "- a mass brawl, a theft, a robbery\n"
               "\n"
               "Calling {emergency_number} is free and answered 24 hours a day by the "
               "{regency} regency call centre."}},
    {"key": "what_to_say",
     "title": {"id": "Apa yang disampaikan", "en": "What to say"},
     "text": {
         "id": "Tetap tenang, bicara jelas dan jawab pertanyaan operator. Sampaikan:\n"
               "- Di mana: desa, dusun atau RT, nama jalan, dan patokan terdekat (masjid, "
               "sekolah, jembatan, simpang)\n"
               "- Apa yang terjadi\n"
               "- Siapa Anda, dan siapa yang perlu ditolong\n"
               "- Berapa orang yang terluka atau terjebak, dan keadaannya\n"
               "- Nomor telepon Anda, supaya petugas bisa menelepon balik\n"
               "\n"
               "Jangan menutup telepon sebelum operator selesai bertanya.",
         "en": "Stay calm, speak clearly and answer the operator's questions. Say:\n"
               "- Where: the village, hamlet or neighbourhood, the street, and the nearest "
               "landmark (mosque, school, bridge, junction)\n"
               "- What happened\n"
               "- Who you are, and who needs help\n"
               "- How many people are hurt or trapped, and how they are\n"
               "- Your phone number, so the responders can call you back\n"
               "\n"
               "Do not hang up until the operator has finished asking."}},
    {"key": "sms",
     "title": {"id": "SMS bila tidak bisa menelepon", "en": "SMS when you cannot call"},
     "text": {
         "id": "Bila sinyal terlalu lemah untuk menelepon, atau Anda tidak bisa bicara, "
               "kirim SMS dari telepon apa saja ke {sms_number}:\n"
               "- tulis dulu jenis kejadiannya, lalu \"di desa\" dan nama desanya\n"
               "- tambahkan patokan dan jumlah korban bila sempat\n"
               "- operator membalas dengan nomor laporan dan dapat menelepon Anda kembali\n"
               "\n"
               "Pengguna aplikasi Siaga 112: bila SOS Anda belum terkirim karena tidak ada "
               "internet, aplikasi sendiri mengirim SMS SOS berisi lokasi Anda (tarif SMS "
               "biasa). Laporan tetap tercatat satu kali; jangan kirim ulang SOS yang sama.",
         "en": "If the signal is too weak to call, or you cannot speak, send an SMS from "
               "any phone to {sms_number}:\n"
               "- first the type of emergency, then \"di desa\" and the village name\n"
               "- add a landmark and how many are hurt if you can\n"
               "- the operator replies with a report number and may call you back\n"
               "\n"
               "Siaga 112 app users: if your SOS could not be sent because there is no "
               "internet, the app itself sends an SOS text message with your location "
               "(normal SMS rate). The report is recorded once; do not send the same SOS "
               "again."}},
    {"key": "categories",
     "title": {"id": "Jenis keadaan darurat", "en": "Kinds of emergency"},
     "text": {
         "id": "Operator dan aplikasi memakai jenis berikut. Dalam SMS cukup tulis kata "
               "contohnya di depan.",
         "en": "The operators and the app use these kinds. In an SMS, start with the "
               "example word."}},
    {"key": "after",
     "title": {"id": "Setelah Anda melapor", "en": "After you report"},
     "text": {
         "id": "- Operator memeriksa dan mengonfirmasi laporan Anda; Anda mungkin ditelepon "
               "balik.\n"
               "- Operator mengirim unit terdekat yang sedang siaga: pemadam kebakaran, "
               "ambulans, polisi atau BPBD.\n"
               "- Anda mendapat kabar: status laporan di aplikasi, atau balasan SMS dengan "
               "nomor laporan.\n"
               "- Tetap di tempat yang aman dan biarkan telepon Anda menyala.",
         "en": "- The operator checks and confirms your report; you may be called back.\n"
               "- The operator sends the nearest unit on duty: fire brigade, ambulance, "
               "police or the disaster agency (BPBD).\n"
               "- You are kept informed: the report's status in the app, or an SMS reply "
               "with your report number.\n"
               "- Stay somewhere safe and keep your phone switched on."}},
    {"key": "misuse",
     "title": {"id": "Jangan menyalahgunakan {emergency_number}",
               "en": "Do not misuse {emergency_number}"},
     "text": {
         "id": "- Panggilan iseng, bercanda atau laporan palsu menghalangi orang yang "
               "sungguh butuh pertolongan.\n"
               "- Setiap panggilan dan SMS tercatat; nomor yang menyalahgunakan layanan "
               "dapat diblokir dan dilaporkan.\n"
               "- Bila tidak sengaja menelepon {emergency_number}, jangan langsung menutup: "
               "katakan bahwa tidak ada keadaan darurat.\n"
               "- Ajari anak-anak kapan menelepon {emergency_number}; jangan jadikan "
               "mainan.",
         "en": "- Prank calls, jokes and false reports keep help from people who really "
               "need it.\n"
               "- Every call and SMS is recorded; numbers that misuse the service can be "
               "blocked and reported.\n"
               "- If you called {emergency_number} by mistake, do not just hang up: say "
               "there is no emergency.\n"
               "- Teach children when to call {emergency_number}; it is not a toy."}},
    {"key": "direct",
     "title": {"id": "Menelepon pos langsung atau {emergency_number}",
               "en": "Calling a post directly or {emergency_number}"},
     "text": {
         "id": "Anda boleh menelepon atau mendatangi pos pemadam, puskesmas atau polsek "
               "terdekat; petugasnya mencatat laporan Anda ke pusat {emergency_number}. "
               "Namun {emergency_number} biasanya lebih cepat:\n"
               "- satu nomor untuk semua keadaan darurat, tidak perlu menghafal nomor tiap "
               "instansi\n"
               "- pusat {emergency_number} melihat unit mana yang terdekat dan sedang "
               "bebas, dan dapat mengirim beberapa instansi sekaligus\n"
               "- bila pos terdekat sedang bertugas di tempat lain, laporan Anda tidak "
               "menunggu",
         "en": "You may call or walk into the nearest fire post, health centre or police "
               "post; they log your report with the {emergency_number} centre. But "
               "{emergency_number} is usually faster:\n"
               "- one number for every emergency, no need to remember each agency's "
               "number\n"
               "- the {emergency_number} centre sees which unit is nearest and free, and can "
               "send several agencies at once\n"
               "- if the nearest post is out on another job, your report does not wait"}},
)


def default_content() -> dict:
    """The built-in content in the stored shape: {"sections": [...], "sms_example_desa"}."""
    return {"sections": [{"key": s["key"], "title": dict(s["title"]), "text": dict(s["text"])}
                         for s in DEFAULT_SECTIONS],
            "sms_example_desa": DEFAULT_EXAMPLE_DESA}
