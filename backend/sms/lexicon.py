"""Words that say which emergency an SMS is about, as people in Musi Banyuasin type them.

Weights: 4 = names the emergency outright (kebakaran, KDRT), 3 = a strong sign (terbakar,
pingsan), 2 = supporting (api, ambulan), 1 = weak hint (asap, luka). Multi-word phrases are
matched before single words and use up their words. Words are matched after the SMS has
been folded (lower case, slang expanded: see SLANG), typo-tolerantly for words of 5+ letters,
through their roots (backend.sms.morphology: ketabrak ~ tabrak, kecopetan ~ copet), with
vowels written the regional way (sesek ~ sesak) or dropped (bnjr ~ banjir). So list a word
once in its usual form; affixed forms are only listed where their weight differs.

Regional words (Palembang / Musi Malay, and things peculiar to this regency) are marked
`# regional`. Musi Banyuasin specifics: peat and plantation fires (karhutla), illegal oil
wells catching fire (sumur minyak, illegal drilling), river traffic on the Musi (ketek,
jukung, speedboat, tongkang), river pirates (perompak), cargo thieves on the Jalan Lintas
Timur (bajing loncat), begal on the trans-Sumatra roads.
"""
from __future__ import annotations

KEYWORDS: dict[str, list[tuple[str, float]]] = {
    "fire": [
        ("kebakaran", 4), ("kbkrn", 4), ("kebakar", 3), ("kbakar", 3), ("terbakar", 3),
        ("tebakar", 3),  # regional: Palembang/Malay form of terbakar
        ("kebakaran hutan", 4), ("kebakaran lahan", 4), ("karhutla", 4),  # regional (peat)
        ("lahan terbakar", 4), ("gambut terbakar", 4),
        ("sumur minyak", 2), ("illegal drilling", 2),  # regional: illegal oil wells
        ("jago merah", 4), ("api besar", 3), ("kobaran api", 4), ("api", 2), ("hangus", 3),
        ("dibakar", 1), ("membakar", 1), ("meledak", 2), ("ledakan", 2), ("korsleting", 2),
        ("konslet", 2), ("asap", 1), ("asap tebal", 2), ("damkar", 3), ("pemadam", 3),
        ("kobong", 3), ("kobongan", 4),  # regional: Javanese (transmigrant villages)
        ("fire", 3), ("on fire", 4), ("burning", 3), ("burn", 2), ("fire truck", 3),
    ],
    "accident": [
        ("kecelakaan", 4), ("kclkaan", 4), ("laka", 4), ("lakalantas", 4),
        ("laka lantas", 4), ("kecelakaan kerja", 4),
        ("tabrakan", 3), ("tabrak", 3), ("ditabrak", 3), ("nabrak", 3), ("menabrak", 3),
        ("tabrak lari", 4), ("terbalik", 2), ("terguling", 3), ("masuk jurang", 3),
        ("masuk parit", 2), ("nyemplung", 3), ("diserempet", 3), ("serempet", 3),
        ("terjepit", 2), ("jatuh dari motor", 3), ("tenggelam", 3), ("hanyut", 3),
        ("terseret arus", 3), ("pengendara", 1), ("korban", 1),
        ("ketek", 1), ("jukung", 1),  # regional: Musi river boats
        ("speedboat", 1), ("speed", 1), ("tongkang", 1), ("perahu", 1), ("kapal", 1),
        ("accident", 4), ("crash", 3), ("collision", 3), ("injured", 1), ("drowning", 3),
        ("motorbike accident", 4), ("car crash", 4),
    ],
    "natural_disaster": [
        ("banjir", 4), ("kebanjiran", 4), ("banjir bandang", 4), ("air bah", 4),
        ("air naik", 3), ("air masuk rumah", 3), ("tergenang", 2), ("genangan", 2),
        ("setinggi lutut", 2), ("setinggi pinggang", 2), ("setinggi dada", 3),
        ("air sungai meluap", 4), ("meluap", 3), ("terendam", 2),
        ("longsor", 4), ("tanah longsor", 4), ("tebing longsor", 4), ("amblas", 2),
        ("tertimbun", 2), ("puting beliung", 4), ("angin puting beliung", 4),
        ("angin ribut", 3), ("angin kencang", 3), ("pohon tumbang", 3), ("gempa", 4),
        ("mengungsi", 2), ("pengungsi", 2), ("evakuasi", 1), ("dievakuasi", 1),
        ("flood", 4), ("flooding", 4), ("landslide", 4), ("earthquake", 4),
        ("water rising", 3), ("storm", 3),
    ],
    "health": [
        ("pingsan", 3), ("tidak sadar", 3), ("tidak sadarkan diri", 4), ("sesak", 2),
        ("sesak napas", 4), ("asma", 3), ("kejang", 3), ("stroke", 3), ("struk", 3),
        ("serangan jantung", 4), ("jantung", 2), ("melahirkan", 4), ("lahiran", 4),
        ("ketuban pecah", 4), ("pecah ketuban", 4), ("pendarahan", 3), ("perdarahan", 3),
        ("hamil", 2), ("bidan", 2), ("keracunan", 4), ("racun", 3), ("muntah", 2),
        ("diare", 2), ("demam tinggi", 3), ("demam", 2), ("digigit ular", 4),
        ("dipatuk ular", 4), ("dipagut ular", 4),  # regional: patuk/pagut for a snake bite
        ("digigit anjing", 4), ("digigit buaya", 4), ("disengat", 3), ("tawon", 1),
        ("ambulan", 2), ("ambulans", 2), ("ambulance", 2), ("amblans", 2),
        ("kritis", 2), ("sekarat", 3), ("overdosis", 4), ("gantung diri", 4),
        ("bunuh diri", 4), ("patah tulang", 3), ("cuci darah", 3), ("pasien", 2),
        ("sakit", 2), ("sakit parah", 3), ("dokter", 2), ("puskesmas", 2), ("luka", 1),
        ("berdarah", 1), ("bengkak", 1), ("meninggal", 1),
        ("pening", 2),  # regional: Malay for pusing (dizzy)
        ("semaput", 3), ("lairan", 4),  # regional: Javanese (unconscious, giving birth)
        ("giving birth", 4), ("in labor", 4), ("midwife", 3), ("pregnant", 2),
        ("unconscious", 4), ("heart attack", 4), ("sick", 2), ("doctor", 2),
        ("cant breathe", 4), ("not breathing", 4), ("bleeding", 2),
    ],
    "violence_women_children": [
        ("kdrt", 4), ("kekerasan dalam rumah tangga", 4), ("kekerasan terhadap anak", 4),
        ("kekerasan anak", 4), ("kekerasan seksual", 4), ("pelecehan", 3),
        ("pelecehan seksual", 4), ("diperkosa", 4), ("perkosa", 4), ("pemerkosaan", 4),
        ("dicabuli", 4), ("pencabulan", 4), ("cabul", 3), ("penculikan anak", 4),
        ("anak diculik", 4), ("penelantaran anak", 4), ("perdagangan orang", 4),
        ("domestic violence", 4), ("rape", 4), ("raped", 4), ("child abuse", 4),
    ],
    "riot": [
        ("kerusuhan", 4), ("rusuh", 4), ("ricuh", 3), ("tawuran", 4), ("bentrok", 4),
        ("bentrokan", 4), ("perang kampung", 4),  # regional: fights between villages
        ("perang", 2), ("amuk massa", 4), ("massa", 2), ("keributan", 3), ("ribut", 1),
        ("dihakimi", 3), ("main hakim sendiri", 4), ("demo", 2), ("anarkis", 3),
        ("riot", 4), ("mob", 3), ("brawl", 3),
    ],
    "public_order": [
        ("maling", 4), ("kemalingan", 4), ("pencuri", 4), ("pencurian", 4), ("dicuri", 3),
        ("curi", 3), ("curanmor", 4), ("rampok", 4), ("perampok", 4), ("perampokan", 4),
        ("dirampok", 4), ("begal", 4), ("dibegal", 4), ("pembegalan", 4), ("jambret", 4),
        ("dijambret", 4), ("copet", 4),
        ("bajing loncat", 4),  # regional: cargo thieves on the Jalan Lintas Timur
        ("perompak", 4),  # regional: river pirates on the Musi
        ("preman", 2), ("dipalak", 3), ("mabuk", 3), ("miras", 2), ("narkoba", 3),
        ("sabu", 3), ("judi", 3), ("sabung ayam", 3), ("odgj", 3), ("ngamuk", 2),
        ("pembunuhan", 4), ("dibunuh", 4), ("mayat", 2), ("ditusuk", 4), ("penusukan", 4),
        ("dibacok", 4), ("pembacokan", 4), ("perkelahian", 3), ("berkelahi", 3),
        ("dikeroyok", 3), ("pengeroyokan", 3), ("penganiayaan", 2), ("tembak", 2),
        ("ditembak", 3), ("senjata", 2), ("senpi", 2), ("sajam", 2), ("golok", 2),
        ("parang", 1), ("pistol", 2), ("polisi", 1), ("kekerasan", 1),
        ("thief", 4), ("robbery", 4), ("robbed", 4), ("stolen", 3), ("broke into", 2),
        ("fight", 3), ("stabbed", 4), ("gun", 2),
    ],
}

# Violence against a woman or a child is often written as an act plus who suffers it
# ("suami mukul istri", "anak disiksa"): an ACT with a VICTIM scores the category; an ACT
# alone is assault (public order).
VIOLENT_ACTS = {
    "pukul", "mukul", "memukul", "dipukul", "dipukuli", "tampar", "ditampar", "menampar",
    "tendang", "ditendang", "aniaya", "dianiaya", "menganiaya", "siksa", "disiksa",
    "menyiksa", "kurung", "dikurung", "ancam", "ngancam", "diancam", "dipaksa", "beaten",
    "hit", "abused", "abuse", "culik", "diculik", "penculikan",
}
VICTIMS = {
    "istri", "suami", "bini",  # regional: bini (wife, Palembang/Malay)
    "budak",  # regional: Palembang/Malay for a child
    "anak", "balita", "bayi", "ibu", "perempuan", "wanita", "cewek", "gadis", "adik",
    "siswi", "pacar", "orang tua", "mama", "wife", "husband", "sister", "daughter", "girl",
    "child", "children", "kid", "woman",
}
ACT_WEIGHT = {"violence_women_children": 4, "riot": 4, "public_order": 2}

# A riot is violence by a crowd: a CROWD word with a violent act (or a mob's act: burning,
# stoning, storming, judging a thief themselves) makes it a riot rather than one person's
# assault or theft ("massa ngamuk bakar pos polisi", "massa hakimi maling"). Roots, so
# every affixed form counts (membakar, dilempari, mengamuk).
CROWD = {"massa", "gerombolan", "kelompok", "geng", "ramai", "rame", "beramai", "antar",
         "antarwarga", "antardesa", "antarkampung", "mob", "crowd"}
# "saling serang" is a crowd when a collective is named ("warga 2 desa saling serang").
COLLECTIVE = {"warga", "pemuda", "pelajar", "siswa", "desa", "kampung", "suporter", "ormas",
              "kelompok", "villagers"}
MOB_ROOTS = {"amuk", "bakar", "lempar", "serang", "hakim", "keroyok", "rusak", "jarah",
             "bentrok", "pukul", "aniaya", "tendang", "bacok", "tusuk"}

# Two vehicles set against each other are a collision: "motor vs truk", "mobil lawan
# motor" (VERSUS between two VEHICLES scores accident).
VEHICLES = {"motor", "mobil", "truk", "truck", "bus", "bis", "angkot", "travel", "pickup",
            "pick", "sepeda", "becak", "ojek", "sedan", "minibus", "tronton", "tangki",
            "ketek", "jukung", "speedboat", "speed", "tongkang", "perahu", "kapal", "car",
            "motorbike", "motorcycle"}
VERSUS = {"vs", "versus", "lawan", "lwn", "vs."}
COLLISION_WEIGHT = 4

# Animals: what they do is no crime ("sapi ngamuk", "gajah liar merusak kebun"); wildlife
# and livestock out of control are "other" for the operator unless someone is bitten
# (health: digigit ular/anjing/buaya).
ANIMALS = {"sapi", "kerbau", "kambing", "babi", "anjing", "gajah", "harimau", "macan",
           "beruang", "buaya", "ular", "monyet", "beruk", "lebah", "tawon"}

# Everyday words never read as a typo of a lexicon word (sekarang is not sekarat, kabar is
# not kebakar). Every SLANG expansion is added to these: it is a word spelled right.
EVERYDAY = {
    "sekarang", "sebentar", "segera", "kabar", "besar", "pasar", "bantu", "bantuan",
    "datang", "tolong", "sudah", "belum", "banyak", "kemarin", "malam", "pagi", "siang",
    "sore", "subuh", "rumah", "warga", "jalan", "tetangga", "keluarga", "kampung", "kebun",
    "sawah", "sungai", "motor", "mobil", "orang", "bapak", "kakak", "nenek", "kakek",
    "tadi", "juga", "masih", "karena", "dengan", "untuk", "sampai", "semua", "lapor",
    "sampai", "minta", "mohon", "cepat", "pulang", "kirim", "harap", "kosong", "masak",
}

EMOJI = {"🔥": "fire", "🚒": "fire", "🚑": "health", "🤕": "health", "🌊": "natural_disaster",
         "🌪": "natural_disaster", "🚓": "public_order", "🔪": "public_order",
         "💥": "accident", "🚗": "accident", "🏍": "accident"}

# SMS spelling → the word the lexicon uses. Palembang forms marked `# regional`.
SLANG = {
    "tdk": "tidak", "tak": "tidak", "ga": "tidak", "gak": "tidak", "nggak": "tidak",
    "ngga": "tidak", "g": "tidak", "gk": "tidak", "dak": "tidak", "idak": "tidak",  # regional
    "yg": "yang", "org": "orang", "wong": "orang",  # regional: wong
    "rmh": "rumah", "sdh": "sudah", "udh": "sudah", "udah": "sudah", "dkt": "dekat",
    "dpn": "depan", "jln": "jalan", "jl": "jalan", "tlg": "tolong", "tlng": "tolong",
    "tolongin": "tolong", "skrg": "sekarang", "krn": "karena", "sy": "saya", "aq": "aku",
    "lg": "lagi", "thd": "terhadap", "pake": "pakai", "dgn": "dengan", "bpk": "bapak",
    "nafas": "napas", "nyo": "nya",  # regional: Palembang -nyo
    "adek": "adik", "ortu": "orang tua", "ortunya": "orang tua", "nian": "sangat",  # regional
    "ado": "ada",  # regional
    "cant": "cant", "can't": "cant", "kclakaan": "kecelakaan",
    "dr": "dari", "td": "tadi", "dtg": "datang", "jg": "juga", "bnyk": "banyak",
    "byk": "banyak", "sm": "sama", "tp": "tapi", "utk": "untuk", "blm": "belum",
    "msh": "masih", "trs": "terus", "bs": "bisa", "kmrn": "kemarin", "mlm": "malam",
    "malem": "malam", "ank": "anak", "cpt": "cepat", "sgr": "segera", "kpd": "kepada",
    "tuo": "tua", "apo": "apa", "dio": "dia", "kito": "kita",  # regional: Palembang -o
    "pls": "please", "plz": "please",
    "tulung": "tolong", "omah": "rumah", "neng": "di",  # regional: Javanese
}
