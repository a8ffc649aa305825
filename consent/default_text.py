"""The first published consent text, in English and Bahasa Indonesia (Indonesia is the first market).

Written to the checklist in ACA 2014 H.2.a and A.2.a, Indonesia's UU 27/2022 (personal data
protection) and UU 23/2022 (psychology services). The data migration 0002 publishes DEFAULT_CONSENT as
version 1 of each language and 0003 publishes VERSION_2 on top of it; later versions are drafted and
published by admins in the app. Changing this file changes nothing already published.
"""

DEFAULT_CONSENT: dict[str, dict] = {
    "en": {
        "change_summary": "First version.",
        "sections": {
            "counselor": (
                "Your counselor: credentials, place of practice and contact",
                "Every counselor on this platform is licensed, and an administrator has checked the licence "
                "with the body that issued it. You can read each counselor's credentials, the licensing body "
                "and the places where they may practise on their public profile. Below are the details of "
                "your counselor: their name and credentials, the physical location of their practice and how "
                "to contact them professionally.",
            ),
            "risks_benefits": (
                "Benefits and risks of online counseling",
                "Online counseling lets you talk with a counselor from wherever you are, without travelling, "
                "and gives you a written record you can think about later. Research shows it helps many people "
                "with stress, anxiety, low mood and life difficulties.\n"
                "It also has limits. In text, your counselor cannot see your face or hear your voice, so "
                "misunderstandings happen more easily; tell your counselor when something feels wrong. "
                "Replies can be delayed. Online counseling is not suitable for every situation, for example "
                "a crisis or a condition that needs close in-person care; your counselor will tell you if "
                "they think that is the case.",
            ),
            "technology_failure": (
                "If the technology fails",
                "If the chat connection drops during a session, the page reconnects by itself and no message "
                "that was saved is lost. If it cannot reconnect within 5 minutes, your counselor will write "
                "to you on this platform and, if needed, use the professional phone number shown in the first "
                "section as the fallback channel. A session lost to a technical failure is rescheduled at no "
                "cost to you.\n"
                "If you were at risk when the connection dropped, your counselor follows the emergency plan "
                "you gave at intake, which can include calling your emergency contact or local emergency "
                "services.",
            ),
            "response_times": (
                "How quickly we answer",
                "During a booked session your counselor answers in real time. Between sessions you can send "
                "messages; your counselor promises to answer within the time shown below. We track these "
                "promises: if a reply is late, an on-call counselor is told and picks it up. Messages between "
                "sessions are not watched around the clock, so never use them for an emergency.",
            ),
            "emergencies": (
                "Emergencies and when your counselor is not available",
                "This platform is not an emergency service. If you or someone else is in danger, call 112 "
                "(Indonesia's emergency number) or 119 extension 8 (SEJIWA, the Ministry of Health's "
                "mental-health line), go to the emergency department (IGD) of the nearest hospital, or call "
                "your local emergency number if you are elsewhere.\n"
                "At intake you give an emergency plan: where you usually are, your local emergency numbers "
                'and an emergency contact you allow us to call. If you press "I need help now" or write '
                "something that suggests danger, your counselor is alerted at once; if your counselor does "
                "not answer, an on-call counselor and then a supervisor are alerted. A person always decides "
                "what to do; the system never decides alone.",
            ),
            "differences": (
                "Time-zone, cultural and language differences",
                "Your counselor may live in another time zone. Session times are always shown in your own "
                "time zone; check them before each session. Your counselor may also come from another "
                "culture or region than you. You can counsel in Bahasa Indonesia or in English; tell your "
                "counselor if you do not understand a word or an idea, or if something they say does not fit "
                "your culture or beliefs.",
            ),
            "insurance": (
                "Insurance",
                "Online counseling on this platform may not be covered by BPJS Kesehatan or by private "
                "insurance, and an insurer may refuse to reimburse it. We do not send your information to "
                "any insurer. If you want to claim, ask your insurer first; we can give you a receipt.",
            ),
            "social_media": (
                "Social media",
                "To protect your privacy and the counseling relationship, your counselor will not add, follow "
                "or message you on social media, will not look you up online, and will not talk about you or "
                "your counseling anywhere in public. Please do not contact your counselor through social media "
                "or personal messaging apps: such messages are not secure, are not part of your records and may "
                "not be read.",
            ),
            "records_access": (
                "Who can see your records, and protecting your own devices",
                "Your messages are read by you and your counselor. A clinical supervisor may read them when "
                "needed to keep your care safe and good. The platform's technical and administrative staff "
                "cannot read your messages in normal work; in an emergency a named person may open them through "
                "a recorded break-glass procedure. Every access by staff is written to a tamper-evident audit "
                "log, and you can ask who has seen your data.\n"
                "Protect your side too: use a device that only you use, lock it with a PIN or password, do not "
                "share your account, talk from a private place, and sign out when you finish. You are signed "
                "out automatically after 15 minutes without activity.",
            ),
            "face_to_face": (
                "Face-to-face counseling is an alternative",
                "Online counseling is a choice, not the only option. You can ask for face-to-face counseling at "
                "any time, for example at a Puskesmas with a psychologist, a hospital, or a practice near you. "
                "If your counselor thinks that online counseling does not suit your situation, they will tell "
                "you and help you find in-person care.",
            ),
            "confidentiality_limits": (
                "The limits of confidentiality online",
                "We keep your counseling strictly confidential. Connections are encrypted, and your messages and "
                "personal details are stored encrypted under a key of your own. Even so, no online service can "
                "fully guarantee confidentiality: even encrypted sites are sometimes breached. If your data is "
                "ever exposed, we will tell you and the authorities within 3 x 24 hours, as Indonesian law "
                "requires.\n"
                "Your counselor must also break confidentiality when the law or their code of ethics requires "
                "it: when there is a serious risk that you or someone else will be harmed, when a child is at "
                "risk of abuse, or when a court orders it. Where possible, they will talk with you first.",
            ),
            "jurisdiction": (
                "Your legal rights and the law that applies",
                "Counseling takes place where you are at the time of the session, so your counselor must be "
                "licensed for that place, and its law applies as well as the law where your counselor "
                "practises. The laws of two countries or regions can differ, for example about confidentiality, "
                "reporting duties and how long records are kept; when they differ, the stricter protection for "
                "you is followed where the law allows.\n"
                "In Indonesia, psychology services are governed by Law 23 of 2022, and your personal data is "
                "protected by Law 27 of 2022 (UU PDP): you may see your data, have it corrected, withdraw this "
                "consent, and ask for deletion, which we weigh against the legal duty to keep clinical records "
                "and answer with our reasons. You may complain to us, to your counselor's licensing body or "
                "professional association, or to the authorities.",
            ),
            "identity_location": (
                "Knowing who and where you are",
                "To avoid false identities and to help you in an emergency, we check your identity when you "
                "join (a staff member reviews an identity document) and at the start of every session (a code "
                "word you choose). Before every session you confirm where you are: it decides which law "
                "applies, whether your counselor may counsel you there, and which emergency numbers are shown "
                "to you.",
            ),
            "retention": (
                "How long records are kept and how they are destroyed",
                "Your chat messages are clinical records. We keep them for at least 7 years after your last "
                "contact with us, or longer if a law of your or your counselor's place requires it or a legal "
                "hold applies; this consent record is kept with them. If you withdraw your consent or close "
                "your account, your records are still kept for that period; they are not deleted at once.\n"
                "When the period ends, your records are destroyed for good by destroying the encryption key "
                "that only your data uses. After that no copy can be read again, including copies in backups.",
            ),
        },
    },
    "id": {
        "change_summary": "Versi pertama.",
        "sections": {
            "counselor": (
                "Konselor Anda: kredensial, tempat praktik, dan kontak",
                "Setiap konselor di platform ini memiliki izin praktik, dan administrator telah memeriksa izin "
                "tersebut kepada lembaga yang menerbitkannya. Kredensial setiap konselor, lembaga pemberi izin, "
                "dan wilayah tempat mereka boleh berpraktik dapat Anda baca di profil publik mereka. Di bawah "
                "ini tercantum data konselor Anda: nama dan kredensial, lokasi fisik tempat praktik, dan cara "
                "menghubunginya secara profesional.",
            ),
            "risks_benefits": (
                "Manfaat dan risiko konseling daring",
                "Konseling daring memungkinkan Anda berbicara dengan konselor dari mana pun Anda berada, tanpa "
                "perlu bepergian, dan memberi Anda catatan tertulis yang dapat Anda renungkan kembali. Penelitian "
                "menunjukkan konseling daring membantu banyak orang menghadapi stres, kecemasan, suasana hati "
                "yang murung, dan kesulitan hidup.\n"
                "Konseling daring juga memiliki keterbatasan. Melalui tulisan, konselor tidak dapat melihat "
                "wajah atau mendengar suara Anda, sehingga salah paham lebih mudah terjadi; sampaikan kepada "
                "konselor bila ada yang terasa tidak tepat. Balasan bisa tertunda. Konseling daring tidak cocok "
                "untuk setiap keadaan, misalnya krisis atau kondisi yang membutuhkan pendampingan tatap muka "
                "secara dekat; konselor akan memberi tahu Anda bila menurutnya demikian.",
            ),
            "technology_failure": (
                "Bila teknologi mengalami gangguan",
                "Jika sambungan obrolan terputus saat sesi, halaman akan tersambung kembali dengan sendirinya "
                "dan pesan yang sudah tersimpan tidak akan hilang. Jika tidak dapat tersambung kembali dalam "
                "5 menit, konselor akan menulis kepada Anda di platform ini dan, bila perlu, menggunakan nomor "
                "telepon profesional yang tercantum di bagian pertama sebagai jalur cadangan. Sesi yang gagal "
                "karena gangguan teknis dijadwalkan ulang tanpa biaya bagi Anda.\n"
                "Jika Anda sedang dalam bahaya saat sambungan terputus, konselor akan menjalankan rencana "
                "darurat yang Anda berikan saat pendaftaran, termasuk menghubungi kontak darurat Anda atau "
                "layanan darurat setempat.",
            ),
            "response_times": (
                "Seberapa cepat kami menjawab",
                "Selama sesi yang telah dipesan, konselor menjawab secara langsung. Di luar sesi Anda dapat "
                "mengirim pesan; konselor berjanji menjawab dalam waktu yang tercantum di bawah. Kami memantau "
                "janji ini: bila balasan terlambat, konselor piket diberi tahu dan menindaklanjutinya. Pesan di "
                "luar sesi tidak dipantau selama 24 jam, jadi jangan pernah menggunakannya untuk keadaan darurat.",
            ),
            "emergencies": (
                "Keadaan darurat dan saat konselor tidak dapat dihubungi",
                "Platform ini bukan layanan darurat. Jika Anda atau orang lain dalam bahaya, hubungi 112 "
                "(nomor darurat Indonesia) atau 119 ekstensi 8 (SEJIWA, layanan kesehatan jiwa Kementerian "
                "Kesehatan), datangi Instalasi Gawat Darurat (IGD) rumah sakit terdekat, atau hubungi nomor "
                "darurat setempat bila Anda berada di luar Indonesia.\n"
                "Saat pendaftaran Anda memberikan rencana darurat: tempat Anda biasanya berada, nomor darurat "
                "setempat, dan kontak darurat yang Anda izinkan untuk kami hubungi. Jika Anda menekan tombol "
                '"Saya butuh bantuan sekarang" atau menulis sesuatu yang menandakan bahaya, konselor langsung '
                "diberi tahu; jika konselor tidak menjawab, konselor piket lalu supervisor akan diberi tahu. "
                "Keputusan selalu diambil oleh manusia; sistem tidak pernah memutuskan sendiri.",
            ),
            "differences": (
                "Perbedaan zona waktu, budaya, dan bahasa",
                "Konselor Anda mungkin tinggal di zona waktu yang berbeda. Waktu sesi selalu ditampilkan dalam "
                "zona waktu Anda sendiri; periksalah sebelum setiap sesi. Konselor Anda juga mungkin berasal dari "
                "budaya atau daerah yang berbeda dengan Anda. Anda dapat menjalani konseling dalam Bahasa "
                "Indonesia atau bahasa Inggris; sampaikan kepada konselor bila Anda tidak memahami suatu kata "
                "atau gagasan, atau bila ada yang disampaikannya tidak sesuai dengan budaya atau keyakinan Anda.",
            ),
            "insurance": (
                "Asuransi",
                "Konseling daring di platform ini mungkin tidak ditanggung oleh BPJS Kesehatan maupun asuransi "
                "swasta, dan perusahaan asuransi dapat menolak penggantian biayanya. Kami tidak mengirimkan data "
                "Anda kepada perusahaan asuransi mana pun. Bila Anda ingin mengajukan klaim, tanyakan dahulu "
                "kepada perusahaan asuransi Anda; kami dapat memberikan kuitansi.",
            ),
            "social_media": (
                "Media sosial",
                "Untuk melindungi privasi Anda dan hubungan konseling, konselor tidak akan menambahkan, "
                "mengikuti, atau mengirim pesan kepada Anda di media sosial, tidak akan mencari informasi tentang "
                "Anda di internet, dan tidak akan membicarakan Anda atau konseling Anda di ruang publik mana pun. "
                "Mohon jangan menghubungi konselor melalui media sosial atau aplikasi pesan pribadi: pesan "
                "tersebut tidak aman, tidak menjadi bagian dari catatan Anda, dan mungkin tidak dibaca.",
            ),
            "records_access": (
                "Siapa yang dapat melihat catatan Anda, dan menjaga perangkat Anda sendiri",
                "Pesan Anda dibaca oleh Anda dan konselor Anda. Supervisor klinis dapat membacanya bila "
                "diperlukan untuk menjaga keamanan dan mutu layanan bagi Anda. Staf teknis dan administrasi "
                "platform tidak dapat membaca pesan Anda dalam pekerjaan sehari-hari; dalam keadaan darurat, "
                "orang yang ditunjuk dapat membukanya melalui prosedur akses darurat (break-glass) yang tercatat. "
                "Setiap akses oleh staf dicatat dalam log audit yang tahan manipulasi, dan Anda dapat menanyakan "
                "siapa saja yang telah melihat data Anda.\n"
                "Jagalah juga dari sisi Anda: gunakan perangkat yang hanya Anda pakai, kunci dengan PIN atau kata "
                "sandi, jangan membagikan akun Anda, berbicaralah dari tempat yang privat, dan keluar dari akun "
                "setelah selesai. Anda otomatis dikeluarkan setelah 15 menit tanpa aktivitas.",
            ),
            "face_to_face": (
                "Konseling tatap muka adalah pilihan lain",
                "Konseling daring adalah pilihan, bukan satu-satunya jalan. Anda dapat meminta konseling tatap "
                "muka kapan saja, misalnya di Puskesmas yang memiliki psikolog, di rumah sakit, atau di tempat "
                "praktik di dekat Anda. Bila konselor menilai konseling daring tidak sesuai dengan keadaan Anda, "
                "ia akan memberi tahu Anda dan membantu Anda mendapatkan layanan tatap muka.",
            ),
            "confidentiality_limits": (
                "Batas kerahasiaan secara daring",
                "Kami menjaga kerahasiaan konseling Anda dengan ketat. Sambungan dienkripsi, dan pesan serta data "
                "pribadi Anda disimpan terenkripsi dengan kunci milik Anda sendiri. Meskipun demikian, tidak ada "
                "layanan daring yang dapat menjamin kerahasiaan sepenuhnya: situs yang terenkripsi pun kadang "
                "dibobol. Jika data Anda bocor, kami akan memberi tahu Anda dan pihak berwenang dalam waktu "
                "3 x 24 jam, sesuai hukum Indonesia.\n"
                "Konselor juga wajib membuka kerahasiaan bila hukum atau kode etiknya mengharuskan: bila ada "
                "risiko serius Anda atau orang lain akan celaka, bila ada anak yang berisiko mengalami kekerasan, "
                "atau bila ada perintah pengadilan. Bila memungkinkan, konselor akan membicarakannya dengan Anda "
                "terlebih dahulu.",
            ),
            "jurisdiction": (
                "Hak hukum Anda dan hukum yang berlaku",
                "Konseling berlangsung di tempat Anda berada saat sesi, sehingga konselor harus memiliki izin "
                "untuk tempat itu, dan hukum di tempat itu berlaku di samping hukum di tempat konselor "
                "berpraktik. Hukum dua negara atau daerah dapat berbeda, misalnya tentang kerahasiaan, kewajiban "
                "melapor, dan lamanya catatan disimpan; bila berbeda, perlindungan yang lebih kuat bagi Anda "
                "yang diikuti sejauh hukum mengizinkan.\n"
                "Di Indonesia, layanan psikologi diatur oleh Undang-Undang Nomor 23 Tahun 2022, dan data pribadi "
                "Anda dilindungi oleh Undang-Undang Nomor 27 Tahun 2022 (UU PDP): Anda berhak melihat data Anda, "
                "memperbaikinya, menarik persetujuan ini, dan meminta penghapusan, yang kami timbang terhadap "
                "kewajiban hukum menyimpan catatan klinis dan kami jawab beserta alasannya. Anda dapat mengadu "
                "kepada kami, kepada lembaga pemberi izin atau asosiasi profesi konselor Anda, atau kepada pihak "
                "berwenang.",
            ),
            "identity_location": (
                "Mengetahui siapa Anda dan di mana Anda berada",
                "Untuk mencegah identitas palsu dan agar dapat membantu Anda saat darurat, kami memeriksa "
                "identitas Anda saat mendaftar (staf meninjau dokumen identitas) dan pada awal setiap sesi (kata "
                "sandi rahasia yang Anda pilih). Sebelum setiap sesi Anda mengonfirmasi lokasi Anda: lokasi itu "
                "menentukan hukum yang berlaku, apakah konselor boleh memberi layanan kepada Anda di sana, dan "
                "nomor darurat yang ditampilkan kepada Anda.",
            ),
            "retention": (
                "Berapa lama catatan disimpan dan bagaimana dimusnahkan",
                "Pesan obrolan Anda adalah catatan klinis. Kami menyimpannya sekurang-kurangnya 7 tahun sejak "
                "kontak terakhir Anda dengan kami, atau lebih lama bila hukum di tempat Anda atau tempat konselor "
                "mengharuskan atau ada penahanan untuk keperluan hukum; catatan persetujuan ini disimpan "
                "bersamanya. Bila Anda menarik persetujuan atau menutup akun, catatan Anda tetap disimpan selama "
                "masa itu; catatan tidak langsung dihapus.\n"
                "Setelah masa itu berakhir, catatan Anda dimusnahkan untuk selamanya dengan menghancurkan kunci "
                "enkripsi yang hanya dipakai untuk data Anda. Setelah itu tidak ada salinan yang dapat dibaca "
                "lagi, termasuk salinan cadangan.",
            ),
        },
    },
}


# Version 2 (data migration 0003): the sections below replace version 1's; the rest is carried over
# from the newest published version of each language. Why (a native speaker's review, with
# sources checked 2024-2026):
# - 112 answers in only part of Indonesia, so 110, 119 and 113 stand beside it, and the Ministry of
#   Health's line is named as it is today (Healing119, since 31 July 2025), never first or alone;
# - the Indonesian text now says what the English says: "not watched around the clock", "can
#   include calling", a data key the platform holds (not one the client holds), tamper-evident,
#   a legal hold that suspends destruction (not a detention), and a code word ("kode pengenal")
#   that is not the account password;
# - one reconnection window (5 minutes) in the consent and the intake's default plan.
VERSION_2: dict[str, dict] = {
    "en": {
        "change_summary": "Emergency numbers corrected (112 is not yet available everywhere in Indonesia; "
        "110, 119 and 113 beside it; Healing119), the encryption key described exactly, the code word is "
        "not your password.",
        "sections": {
            "emergencies": (
                "Emergencies and when your counselor is not available",
                "This platform is not an emergency service. If you or someone else is in danger, in Indonesia "
                "call 110 (police), 119 (ambulance) or 113 (fire). 112 reaches all three in many regions but "
                "is not yet available everywhere in Indonesia, so if it does not connect, call 110, 119 or 113. "
                "For mental-health support you can also call Healing119, the Ministry of Health's line (119, "
                "then press 8), which may be slow to answer. Or go to the emergency department (IGD) of the "
                "nearest hospital. If you are elsewhere, call your local emergency number.\n"
                "At intake you give an emergency plan: where you usually are, your local emergency numbers "
                'and an emergency contact you allow us to call. If you press "I need help now" or write '
                "something that suggests danger, your counselor is alerted at once; if your counselor does "
                "not answer, an on-call counselor and then a supervisor are alerted. Pressing the button does "
                "not send an ambulance or the police: a person here contacts you. A person always decides "
                "what to do; the system never decides alone.",
            ),
            "confidentiality_limits": (
                "The limits of confidentiality online",
                "We keep your counseling strictly confidential. Connections are encrypted, and your messages and "
                "personal details are stored encrypted under a data key used only for your data. The platform "
                "holds that key, itself stored encrypted; you do not need to keep it. Even so, no online "
                "service can fully guarantee confidentiality: even encrypted sites are sometimes breached. If "
                "your data is ever exposed, we will tell you and the authorities within 3 x 24 hours, as "
                "Indonesian law requires.\n"
                "Your counselor must also break confidentiality when the law or their code of ethics requires "
                "it: when there is a serious risk that you or someone else will be harmed, when a child is at "
                "risk of abuse, or when a court orders it. Where possible, they will talk with you first.",
            ),
            "identity_location": (
                "Knowing who and where you are",
                "To avoid false identities and to help you in an emergency, we check your identity when you "
                "join (a staff member reviews an identity document) and at the start of every session (a code "
                "word you choose). The code word is not your account password: nobody here ever asks for your "
                "password. Before every session you confirm where you are: it decides which law applies, "
                "whether your counselor may counsel you there, and which emergency numbers are shown to you.",
            ),
        },
    },
    "id": {
        "change_summary": "Nomor darurat diperbaiki (112 belum tersedia di semua daerah; 110, 119, dan 113 "
        "di sampingnya; Healing119), istilah disamakan dengan versi bahasa Inggris, kode pengenal bukan kata "
        "sandi akun.",
        "sections": {
            "technology_failure": (
                "Bila teknologi mengalami gangguan",
                "Jika sambungan obrolan terputus saat sesi, halaman akan tersambung kembali dengan sendirinya "
                "dan pesan yang sudah tersimpan tidak akan hilang. Jika tidak dapat tersambung kembali dalam "
                "5 menit, konselor akan menulis kepada Anda di platform ini dan, bila perlu, menggunakan nomor "
                "telepon profesional yang tercantum di bagian pertama sebagai jalur cadangan. Sesi yang gagal "
                "karena gangguan teknis dijadwalkan ulang tanpa biaya bagi Anda.\n"
                "Jika Anda sedang dalam bahaya saat sambungan terputus, konselor akan menjalankan rencana "
                "darurat yang Anda berikan saat asesmen awal, yang dapat mencakup menghubungi kontak darurat "
                "Anda atau layanan darurat setempat.",
            ),
            "response_times": (
                "Seberapa cepat kami menjawab",
                "Selama sesi yang telah dipesan, konselor menjawab secara langsung. Di luar sesi Anda dapat "
                "mengirim pesan; konselor berjanji menjawab dalam waktu yang tercantum di bawah. Kami memantau "
                "janji ini: bila balasan terlambat, konselor jaga diberi tahu dan menindaklanjutinya. Pesan di "
                "luar sesi tidak dipantau sepanjang waktu, jadi jangan pernah menggunakannya untuk keadaan "
                "darurat.",
            ),
            "emergencies": (
                "Keadaan darurat dan saat konselor tidak dapat dihubungi",
                "Platform ini bukan layanan darurat. Jika Anda atau orang lain dalam bahaya, di Indonesia "
                "hubungi 110 (polisi), 119 (ambulans), atau 113 (pemadam kebakaran). Nomor 112 menjangkau "
                "ketiganya di banyak daerah, tetapi belum tersedia di semua daerah di Indonesia; jika 112 tidak "
                "tersambung, hubungi 110, 119, atau 113. Untuk dukungan kesehatan jiwa, Anda juga dapat "
                "menghubungi Healing119, layanan Kementerian Kesehatan (119, lalu tekan 8), yang mungkin lambat "
                "menjawab. Anda juga dapat mendatangi Instalasi Gawat Darurat (IGD) rumah sakit terdekat. Bila "
                "Anda berada di luar Indonesia, hubungi nomor darurat setempat.\n"
                "Saat asesmen awal Anda memberikan rencana darurat: tempat Anda biasanya berada, nomor darurat "
                "setempat, dan kontak darurat yang Anda izinkan untuk kami hubungi. Jika Anda menekan tombol "
                '"Saya butuh bantuan sekarang" atau menulis sesuatu yang menandakan bahaya, konselor langsung '
                "diberi tahu; jika konselor tidak menjawab, konselor jaga lalu supervisor akan diberi tahu. "
                "Menekan tombol itu tidak mendatangkan ambulans atau polisi: seseorang dari layanan ini yang "
                "akan menghubungi Anda. Keputusan selalu diambil oleh manusia; sistem tidak pernah memutuskan "
                "sendiri.",
            ),
            "differences": (
                "Perbedaan zona waktu, budaya, dan bahasa",
                "Konselor Anda mungkin tinggal di zona waktu yang berbeda. Waktu sesi selalu ditampilkan dalam "
                "zona waktu Anda sendiri; periksalah sebelum setiap sesi. Konselor Anda juga mungkin berasal dari "
                "budaya atau daerah yang berbeda dengan Anda. Anda dapat menjalani konseling dalam bahasa "
                "Indonesia atau bahasa Inggris; sampaikan kepada konselor bila Anda tidak memahami suatu kata "
                "atau gagasan, atau bila ada yang disampaikannya tidak sesuai dengan budaya atau keyakinan Anda.",
            ),
            "records_access": (
                "Siapa yang dapat melihat catatan Anda, dan menjaga perangkat Anda sendiri",
                "Pesan Anda dibaca oleh Anda dan konselor Anda. Supervisor klinis dapat membacanya bila "
                "diperlukan untuk menjaga keamanan dan mutu layanan bagi Anda. Staf teknis dan administrasi "
                "platform tidak dapat membaca pesan Anda dalam pekerjaan sehari-hari; dalam keadaan darurat, "
                "orang yang ditunjuk dapat membukanya melalui prosedur akses darurat (break-glass) yang tercatat. "
                "Setiap akses oleh staf dicatat dalam log audit yang dirancang agar setiap perubahan atasnya "
                "dapat terdeteksi, dan Anda dapat menanyakan siapa saja yang telah melihat data Anda.\n"
                "Jagalah juga dari sisi Anda: gunakan perangkat yang hanya Anda pakai, kunci dengan PIN atau kata "
                "sandi, jangan membagikan akun Anda, berbicaralah dari tempat yang privat, dan keluar dari akun "
                "setelah selesai. Anda otomatis dikeluarkan setelah 15 menit tanpa aktivitas.",
            ),
            "confidentiality_limits": (
                "Batas kerahasiaan secara daring",
                "Kami menjaga kerahasiaan konseling Anda dengan ketat. Sambungan dienkripsi, dan pesan serta data "
                "pribadi Anda disimpan terenkripsi dengan kunci data yang hanya dipakai untuk data Anda. Kunci "
                "itu disimpan oleh platform, juga dalam keadaan terenkripsi; Anda tidak perlu menyimpannya. "
                "Meskipun demikian, tidak ada layanan daring yang dapat menjamin kerahasiaan sepenuhnya: situs "
                "yang terenkripsi pun kadang dibobol. Jika data Anda bocor, kami akan memberi tahu Anda dan "
                "pihak berwenang dalam waktu 3 x 24 jam, sesuai hukum Indonesia.\n"
                "Konselor juga wajib membuka kerahasiaan bila hukum atau kode etiknya mengharuskan: bila ada "
                "risiko serius Anda atau orang lain akan celaka, bila ada anak yang berisiko mengalami kekerasan, "
                "atau bila ada perintah pengadilan. Bila memungkinkan, konselor akan membicarakannya dengan Anda "
                "terlebih dahulu.",
            ),
            "identity_location": (
                "Mengetahui siapa Anda dan di mana Anda berada",
                "Untuk mencegah identitas palsu dan agar dapat membantu Anda saat darurat, kami memeriksa "
                "identitas Anda saat mendaftar (staf meninjau dokumen identitas) dan pada awal setiap sesi "
                "(kode pengenal yang Anda pilih). Kode pengenal bukan kata sandi akun Anda: tidak seorang pun "
                "di layanan ini akan meminta kata sandi akun Anda. Sebelum setiap sesi Anda mengonfirmasi "
                "lokasi Anda: lokasi itu menentukan hukum yang berlaku, apakah konselor boleh memberi layanan "
                "kepada Anda di sana, dan nomor darurat yang ditampilkan kepada Anda.",
            ),
            "retention": (
                "Berapa lama catatan disimpan dan bagaimana dimusnahkan",
                "Pesan obrolan Anda adalah catatan klinis. Kami menyimpannya sekurang-kurangnya 7 tahun sejak "
                "kontak terakhir Anda dengan kami, atau lebih lama bila hukum di tempat Anda atau tempat konselor "
                "mengharuskan, atau bila ada penangguhan pemusnahan karena keperluan hukum (legal hold); catatan "
                "persetujuan ini disimpan bersamanya. Bila Anda menarik persetujuan atau menutup akun, catatan "
                "Anda tetap disimpan selama masa itu; catatan tidak langsung dihapus.\n"
                "Setelah masa itu berakhir, catatan Anda dimusnahkan untuk selamanya dengan menghancurkan kunci "
                "enkripsi yang hanya dipakai untuk data Anda. Setelah itu tidak ada salinan yang dapat dibaca "
                "lagi, termasuk salinan cadangan.",
            ),
        },
    },
}


# Version 3 (data migration 0004_publish_consent_version_3): the retention section of each language, because
# version 2 promised that no copy "including copies in backups" could be read once the data key is destroyed,
# and a backup keeps a copy of the wrapped key until the key-encryption key epoch that wrapped it is retired
# (counseling.kek_epochs). The text now states the most days that takes, {days}, which the migration fills in
# from counseling.crypto.backup_shred_days(); consent.checks refuses settings that would promise more days than
# the published text. BACKUP_DAYS_STATED finds the number in each language's text.
BACKUP_DAYS_STATED: dict[str, str] = {"en": r"within (\d+) days", "id": r"paling lambat (\d+) hari"}
VERSION_3: dict[str, dict] = {
    "en": {
        "change_summary": "How long copies in backups stay readable after your records are destroyed: now stated "
        "exactly. The insurance section no longer offers a receipt: the platform takes no payments.",
        "sections": {
            "insurance": (
                "Insurance",
                "Online counseling on this platform may not be covered by BPJS Kesehatan or by private "
                "insurance, and an insurer may refuse to reimburse it. We do not send your information to "
                "any insurer. If you want to claim, ask your insurer first. This platform takes no payments, "
                "so it issues no receipts.",
            ),
            "retention": (
                "How long records are kept and how they are destroyed",
                "Your chat messages are clinical records. We keep them for at least 7 years after your last "
                "contact with us, or longer if a law of your or your counselor's place requires it or a legal "
                "hold applies; this consent record is kept with them. If you withdraw your consent or close "
                "your account, your records are still kept for that period; they are not deleted at once.\n"
                "When the period ends, your records are destroyed for good by destroying the encryption key "
                "that only your data uses: from that moment they cannot be read on our systems. Our backups "
                "still hold a copy of that key, itself locked by a further key that we destroy on a fixed "
                "schedule, so within {days} days no copy can be read anywhere, including copies in backups.",
            ),
        },
    },
    "id": {
        "change_summary": "Berapa lama salinan di cadangan masih dapat dibaca setelah catatan Anda dimusnahkan: "
        "kini dinyatakan dengan tepat. Bagian asuransi tidak lagi menawarkan kuitansi: platform ini tidak menerima "
        "pembayaran.",
        "sections": {
            "insurance": (
                "Asuransi",
                "Konseling daring di platform ini mungkin tidak ditanggung oleh BPJS Kesehatan maupun asuransi "
                "swasta, dan perusahaan asuransi dapat menolak penggantian biayanya. Kami tidak mengirimkan data "
                "Anda kepada perusahaan asuransi mana pun. Bila Anda ingin mengajukan klaim, tanyakan dahulu "
                "kepada perusahaan asuransi Anda. Platform ini tidak menerima pembayaran, jadi tidak menerbitkan "
                "kuitansi.",
            ),
            "retention": (
                "Berapa lama catatan disimpan dan bagaimana dimusnahkan",
                "Pesan obrolan Anda adalah catatan klinis. Kami menyimpannya sekurang-kurangnya 7 tahun sejak "
                "kontak terakhir Anda dengan kami, atau lebih lama bila hukum di tempat Anda atau tempat konselor "
                "mengharuskan, atau bila ada penangguhan pemusnahan karena keperluan hukum (legal hold); catatan "
                "persetujuan ini disimpan bersamanya. Bila Anda menarik persetujuan atau menutup akun, catatan "
                "Anda tetap disimpan selama masa itu; catatan tidak langsung dihapus.\n"
                "Setelah masa itu berakhir, catatan Anda dimusnahkan untuk selamanya dengan menghancurkan kunci "
                "enkripsi yang hanya dipakai untuk data Anda: sejak saat itu catatan tidak dapat dibaca lagi di "
                "sistem kami. Cadangan kami masih menyimpan salinan kunci itu, yang dikunci lagi dengan kunci lain "
                "yang kami musnahkan menurut jadwal tetap, sehingga paling lambat {days} hari kemudian tidak ada "
                "salinan yang dapat dibaca lagi di mana pun, termasuk salinan cadangan.",
            ),
        },
    },
}


# Version 4 (data migration 0005_publish_consent_version_4_calls): sessions can be held by video and by voice
# (issue 18). Each language's newest published sections are carried over, and these paragraphs are added at the
# end of three of them: the risks of video and voice (others in the room, screen capture or recording by the other
# person, a failing network), what happens when a call fails (the session goes on in its chat), and what the
# platform does with a call (never recorded: the media go from browser to browser, encrypted end to end; only the
# times of a call are kept). The promises they make are in consent.promises ("call.*").
VERSION_4: dict[str, dict] = {
    "en": {
        "change_summary": "Video and voice sessions: we never record them; their risks (others in the room, screen "
        "capture or recording by the other person, a failing network); a failed call goes on in the session's chat.",
        "appended": {
            "risks_benefits": (
                "A session can be held by video, by voice or in writing (chat): you choose when you book, and you "
                "can change it before the session starts. By video or voice your counselor sees or hears you, "
                "which often makes it easier to understand each other, and it brings risks of its own. Someone "
                "else in the room or nearby may see or hear the session: talk from a private place, with "
                "headphones if you can. The other person in the call could capture the screen or record the call "
                "with another program or device without our knowledge; we cannot prevent that technically. Your "
                "counselor's code of ethics does not allow them to record a session without your permission, and "
                "we ask you not to record it either. A weak network can freeze or cut off a call; the section on "
                "technology failures says what happens then."
            ),
            "technology_failure": (
                "If a video or voice call fails, for example because the network is too weak, both pages say so "
                "and offer to connect again, and the session goes on in its chat, where everything above applies."
            ),
            "confidentiality_limits": (
                "Video and voice are never recorded by us: the platform has no recording feature. Picture and "
                "sound go directly between your browser and your counselor's, encrypted end to end, and never "
                "reach our servers to be stored. When a network does not allow a direct connection, our relay "
                "server passes them on still encrypted, and it cannot see or hear them. Of a call we keep only "
                "when it started, connected and ended, and how long it lasted. This site may use your camera and "
                "microphone only on the call page of a session, and your browser asks you first."
            ),
        },
    },
    "id": {
        "change_summary": "Sesi video dan suara: tidak pernah kami rekam; risikonya (orang lain di ruangan, "
        "perekaman layar atau panggilan oleh pihak lain, jaringan yang gagal); panggilan yang gagal dilanjutkan "
        "di obrolan sesi.",
        "appended": {
            "risks_benefits": (
                "Sesi dapat dilakukan melalui video, suara, atau tulisan (obrolan): Anda memilihnya saat memesan "
                "sesi, dan dapat mengubahnya sebelum sesi dimulai. Melalui video atau suara, konselor dapat "
                "melihat atau mendengar Anda, yang sering kali membuat Anda dan konselor lebih mudah saling "
                "memahami, tetapi cara ini juga memiliki risikonya sendiri. Orang lain di ruangan atau di dekat "
                "Anda mungkin dapat melihat atau mendengar sesi: berbicaralah dari tempat yang privat, dan pakailah "
                "headphone bila bisa. Pihak lain dalam panggilan dapat merekam layar atau merekam panggilan dengan "
                "program atau perangkat lain tanpa sepengetahuan kami; kami tidak dapat mencegahnya secara teknis. "
                "Kode etik konselor tidak mengizinkannya merekam sesi tanpa izin Anda, dan kami meminta Anda juga "
                "tidak merekamnya. Jaringan yang lemah dapat membuat panggilan tersendat atau terputus; bagian "
                "tentang gangguan teknologi menjelaskan apa yang terjadi bila demikian."
            ),
            "technology_failure": (
                "Jika panggilan video atau suara gagal, misalnya karena jaringan terlalu lemah, kedua halaman "
                "menyampaikannya dan menawarkan untuk menyambung kembali, lalu sesi berlanjut di obrolan sesi itu, "
                "dengan ketentuan yang sama seperti di atas."
            ),
            "confidentiality_limits": (
                "Video dan suara tidak pernah kami rekam: platform ini tidak memiliki fitur perekaman. Gambar dan "
                "suara dikirim langsung antara browser Anda dan browser konselor, terenkripsi ujung ke ujung, dan "
                "tidak pernah sampai ke server kami untuk disimpan. Bila jaringan tidak memungkinkan sambungan "
                "langsung, server perantara (relay) kami meneruskannya dalam keadaan tetap terenkripsi, dan server "
                "itu tidak dapat melihat atau mendengarnya. Dari sebuah panggilan, kami hanya menyimpan kapan "
                "panggilan dimulai, tersambung, dan berakhir, serta berapa lama berlangsung. Situs ini hanya dapat "
                "memakai kamera dan mikrofon Anda di halaman panggilan sebuah sesi, dan browser Anda meminta izin "
                "Anda lebih dahulu."
            ),
        },
    },
}
