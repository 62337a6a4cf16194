#include "collector/incidents/messages.h"

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace pantau::collector {
namespace {

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

// An incident at PN Bandung opened 26 Nov 2026 08.05 WIB, 15 minutes ago, at the first step.
IncidentView View() {
  IncidentView v;
  v.id = 42;
  v.court_id = "PN-BANDUNG";
  v.court_name = "Pengadilan Negeri Bandung";
  v.time_zone = "Asia/Jakarta";
  v.site = "pn-bandung";
  v.site_url = "https://pn-bandung.go.id/";
  v.kind = "site_down";
  v.severity = IncidentSeverity::kCritical;
  v.state = "open";
  v.detail = "connect to pn-bandung.go.id:443 timed out after 10 s";
  v.opened_at = Utc(2026, 11, 26, 1, 5);
  v.now = v.opened_at + absl::Minutes(15);
  v.step = 1;
  v.step_role = "staf";
  return v;
}

Runbook SiteDown() {
  Runbook r;
  r.kind = "site_down";
  r.title = "Situs tidak dapat diakses";
  r.summary = "Pemeriksaan HTTP gagal beberapa kali berturut-turut.";
  r.steps = {"Periksa server di panel hosting.", "Periksa layanan nginx/Apache.",
             "Periksa ruang disk dengan `df -h`.", "Hubungi penyedia hosting.",
             "Catat penyebabnya."};
  r.third_party = "Penyedia hosting: tanyakan apakah server terganggu.";
  return r;
}

// A strict RFC 8259 syntax check: one value, strings without raw control characters, valid
// escapes, balanced containers.
class JsonChecker {
 public:
  explicit JsonChecker(absl::string_view text) : s_(text) {}
  bool Valid() {
    SkipSpace();
    if (!Value()) return false;
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  bool Value() {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Container('}', true);
    if (c == '[') return Container(']', false);
    if (c == '"') return String();
    if (c == '-' || absl::ascii_isdigit(c)) return Number();
    return Literal("true") || Literal("false") || Literal("null");
  }
  bool Container(char close, bool object) {
    ++i_;
    SkipSpace();
    if (Eat(close)) return true;
    for (;;) {
      SkipSpace();
      if (object) {
        if (!String()) return false;
        SkipSpace();
        if (!Eat(':')) return false;
        SkipSpace();
      }
      if (!Value()) return false;
      SkipSpace();
      if (Eat(',')) continue;
      return Eat(close);
    }
  }
  bool String() {
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k) {
          if (i_ >= s_.size() || !absl::ascii_isxdigit(s_[i_++])) return false;
        }
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr) {
        return false;
      }
    }
    return false;
  }
  bool Number() {
    Eat('-');
    const size_t start = i_;
    while (i_ < s_.size() && absl::ascii_isdigit(s_[i_])) ++i_;
    return i_ > start;
  }
  bool Literal(absl::string_view word) {
    if (!absl::StartsWith(s_.substr(i_), word)) return false;
    i_ += word.size();
    return true;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (i_ < s_.size() && std::strchr(" \t\r\n", s_[i_]) != nullptr) ++i_;
  }
  absl::string_view s_;
  size_t i_ = 0;
};

// The "Rincian teknis" section of a full text.
std::string DetailSection(const std::string& text) {
  const size_t start = text.find("Rincian teknis:\n");
  const size_t end = text.find("\n\nAlternatif pemecahan masalah:");
  if (start == std::string::npos || end == std::string::npos || end < start) return "";
  const size_t from = start + strlen("Rincian teknis:\n");
  return text.substr(from, end - from);
}

TEST(FormatLocalTime, ShowsTheCourtZoneWithIndonesianMonths) {
  const absl::Time t = Utc(2026, 11, 26, 1, 5);
  EXPECT_EQ(FormatLocalTime(t, "Asia/Jakarta"), "26 Nov 2026 08.05 WIB");
  EXPECT_EQ(FormatLocalTime(t, "Asia/Makassar"), "26 Nov 2026 09.05 WITA");
  EXPECT_EQ(FormatLocalTime(t, "Asia/Jayapura"), "26 Nov 2026 10.05 WIT");
  EXPECT_EQ(FormatLocalTime(t, "Mars/Olympus"), "26 Nov 2026 01.05 UTC");
  // The zone moves the date too.
  EXPECT_EQ(FormatLocalTime(Utc(2026, 12, 31, 20, 30), "Asia/Jayapura"), "1 Jan 2027 05.30 WIT");
  EXPECT_EQ(FormatLocalTime(Utc(2026, 5, 3, 23, 59), "Asia/Jakarta"), "4 Mei 2026 06.59 WIB");
  EXPECT_EQ(FormatLocalTime(Utc(2026, 8, 17, 3, 0), "Asia/Jakarta"), "17 Agu 2026 10.00 WIB");
  EXPECT_EQ(FormatLocalTime(Utc(2026, 10, 1, 0, 0), "Asia/Makassar"), "1 Okt 2026 08.00 WITA");
  EXPECT_EQ(FormatLocalTime(Utc(2026, 12, 1, 0, 0), "Asia/Jakarta"), "1 Des 2026 07.00 WIB");
  EXPECT_EQ(FormatLocalTime(absl::InfinitePast(), "Asia/Jakarta"), "-");
}

TEST(FormatDurationId, SaysHowLongInIndonesian) {
  EXPECT_EQ(FormatDurationId(absl::Seconds(30)), "kurang dari 1 menit");
  EXPECT_EQ(FormatDurationId(-absl::Minutes(5)), "kurang dari 1 menit");
  EXPECT_EQ(FormatDurationId(absl::Minutes(1)), "1 menit");
  EXPECT_EQ(FormatDurationId(absl::Minutes(15) + absl::Seconds(59)), "15 menit");
  EXPECT_EQ(FormatDurationId(absl::Minutes(65)), "1 jam 5 menit");
  EXPECT_EQ(FormatDurationId(absl::Hours(2)), "2 jam");
  EXPECT_EQ(FormatDurationId(absl::Hours(74) + absl::Minutes(10)), "3 hari 2 jam");
  EXPECT_EQ(FormatDurationId(absl::Hours(48) + absl::Minutes(59)), "2 hari");
  EXPECT_EQ(FormatDurationId(absl::InfiniteDuration()), "-");
}

TEST(MessageKindName, NamesEveryKind) {
  EXPECT_EQ(MessageKindName(MessageKind::kOpened), "opened");
  EXPECT_EQ(MessageKindName(MessageKind::kEscalated), "escalated");
  EXPECT_EQ(MessageKindName(MessageKind::kReminder), "reminder");
  EXPECT_EQ(MessageKindName(MessageKind::kSituation), "situation");
  EXPECT_EQ(MessageKindName(MessageKind::kLevelRaised), "level_raised");
  EXPECT_EQ(MessageKindName(MessageKind::kResolved), "resolved");
}

TEST(RenderMessage, OpenedPageHasEverythingStaffNeed) {
  const Runbook runbook = SiteDown();
  const RenderedMessage m = RenderMessage(MessageKind::kOpened, View(), &runbook);
  EXPECT_EQ(m.subject, "[KRITIS] PN Bandung: Situs tidak dapat diakses (pn-bandung)");
  EXPECT_THAT(m.text, StartsWith("Insiden baru #42 di PN Bandung: Situs tidak dapat diakses."));
  EXPECT_THAT(m.text, HasSubstr("Pengadilan: Pengadilan Negeri Bandung (PN-BANDUNG)\n"));
  EXPECT_THAT(m.text, HasSubstr("Situs: pn-bandung (https://pn-bandung.go.id/)\n"));
  EXPECT_THAT(m.text, HasSubstr("Masalah: Situs tidak dapat diakses\n"));
  EXPECT_THAT(m.text, HasSubstr("Sejak: 26 Nov 2026 08.05 WIB (15 menit)\n"));
  EXPECT_THAT(m.text, HasSubstr("Tingkat: kritis\n"));
  EXPECT_THAT(m.text, HasSubstr("Tahap eskalasi: 1 (staf)\n"));
  EXPECT_THAT(m.text, HasSubstr("Penanganan: Belum ada yang menindaklanjuti\n"));
  EXPECT_THAT(m.text, HasSubstr("Pemeriksaan HTTP gagal beberapa kali berturut-turut."));
  EXPECT_THAT(m.text,
              HasSubstr("Rincian teknis:\nconnect to pn-bandung.go.id:443 timed out after 10 s\n"));
  EXPECT_THAT(m.text, HasSubstr("Alternatif pemecahan masalah:\n"
                                "1. Periksa server di panel hosting.\n"
                                "2. Periksa layanan nginx/Apache.\n"
                                "3. Periksa ruang disk dengan `df -h`.\n"
                                "4. Hubungi penyedia hosting.\n"
                                "5. Catat penyebabnya.\n"));
  EXPECT_THAT(m.text, HasSubstr("Pihak ketiga: Penyedia hosting: tanyakan apakah server "
                                "terganggu.\n"));
  EXPECT_THAT(m.text, EndsWith("Untuk menindaklanjuti: pantauctl incidents ack 42\n"));
  EXPECT_THAT(m.text, Not(HasSubstr("Tindak lanjuti")));
  EXPECT_TRUE(JsonChecker(m.json).Valid()) << m.json;
}

TEST(RenderMessage, TelegramAddsTheButtonHint) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.channel = "telegram";
  const RenderedMessage m = RenderMessage(MessageKind::kOpened, view, &runbook);
  EXPECT_THAT(m.text, HasSubstr("Untuk menindaklanjuti: pantauctl incidents ack 42\n"
                                "atau tekan tombol Tindak lanjuti di bawah pesan ini.\n"));
}

TEST(RenderMessage, EscalatedSaysTheStepAndWhy) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.step = 2;
  view.step_role = "kasubbag";
  view.severity = IncidentSeverity::kMajor;
  RenderedMessage m = RenderMessage(MessageKind::kEscalated, view, &runbook);
  EXPECT_EQ(m.subject,
            "[BERAT] Eskalasi tahap 2 — PN Bandung: Situs tidak dapat diakses "
            "(pn-bandung)");
  EXPECT_THAT(m.text, StartsWith("Insiden #42 di PN Bandung belum ditindaklanjuti setelah "
                                 "15 menit, sehingga diteruskan ke tahap eskalasi 2 (kasubbag)."));
  EXPECT_THAT(m.text, HasSubstr("Tahap eskalasi: 2 (kasubbag)\n"));
  EXPECT_THAT(m.text, HasSubstr("Tingkat: berat\n"));
  EXPECT_THAT(m.text, HasSubstr("Alternatif pemecahan masalah:\n1. "));

  // Acknowledged, but still open after an hour: the sekretaris hears of it.
  view.step = 3;
  view.step_role = "sekretaris";
  view.state = "acknowledged";
  view.acknowledged_by = "budi";
  view.acknowledged_at = view.opened_at + absl::Minutes(15);
  view.now = view.opened_at + absl::Minutes(65);
  m = RenderMessage(MessageKind::kEscalated, view, &runbook);
  EXPECT_THAT(m.text, StartsWith("Insiden #42 di PN Bandung belum selesai setelah 1 jam 5 menit, "
                                 "sehingga diteruskan ke tahap eskalasi 3 (sekretaris)."));
  EXPECT_THAT(m.text, HasSubstr("Penanganan: Ditindaklanjuti oleh budi sejak 26 Nov 2026 08.20 "
                                "WIB\n"));
  EXPECT_THAT(m.text, Not(HasSubstr("pantauctl incidents ack")));
}

TEST(RenderMessage, ReminderSaysNobodyActedYet) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.now = view.opened_at + absl::Minutes(30);
  const RenderedMessage m = RenderMessage(MessageKind::kReminder, view, &runbook);
  EXPECT_EQ(m.subject, "[KRITIS] Pengingat — PN Bandung: Situs tidak dapat diakses (pn-bandung)");
  EXPECT_THAT(m.text, StartsWith("Pengingat: insiden #42 di PN Bandung belum ditindaklanjuti "
                                 "(sudah 30 menit)."));
  EXPECT_THAT(m.text, HasSubstr("Belum ada yang menindaklanjuti"));
  EXPECT_THAT(m.text, HasSubstr("pantauctl incidents ack 42"));
}

TEST(RenderMessage, LevelRaisedSaysItGotWorse) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.kind = "tls_expiring";
  view.detail = "certificate expires in 6 days (2026-12-02)";
  const RenderedMessage m = RenderMessage(MessageKind::kLevelRaised, view, &runbook);
  EXPECT_THAT(m.subject, StartsWith("[KRITIS] Memburuk — PN Bandung: "));
  EXPECT_THAT(m.text, StartsWith("Keadaan insiden #42 di PN Bandung memburuk; tingkatnya kini "
                                 "kritis."));
  EXPECT_THAT(m.text, HasSubstr("certificate expires in 6 days"));
}

TEST(RenderMessage, SituationUpdateIsShortForTheSekretaris) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.step = 3;
  view.step_role = "sekretaris";
  view.now = view.opened_at + absl::Minutes(65);
  RenderedMessage m = RenderMessage(MessageKind::kSituation, view, &runbook);
  EXPECT_EQ(m.subject,
            "[KRITIS] Laporan situasi — PN Bandung: Situs tidak dapat diakses (pn-bandung)");
  EXPECT_THAT(m.text, StartsWith("Laporan situasi insiden #42 — PN Bandung\n"));
  EXPECT_THAT(m.text, HasSubstr("Situasi: Situs tidak dapat diakses (pn-bandung) sejak 26 Nov "
                                "2026 08.05 WIB, sudah 1 jam 5 menit; tingkat kritis.\n"));
  EXPECT_THAT(m.text, HasSubstr("Penanganan: Belum ada yang menindaklanjuti.\n"));
  EXPECT_THAT(m.text, HasSubstr("Masalah: connect to pn-bandung.go.id:443 timed out"));
  // The first three steps only.
  EXPECT_THAT(m.text, HasSubstr("Alternatif pemecahan masalah:\n1. Periksa server di panel "
                                "hosting.\n2. "));
  EXPECT_THAT(m.text, HasSubstr("3. Periksa ruang disk"));
  EXPECT_THAT(m.text, Not(HasSubstr("4. ")));
  EXPECT_THAT(m.text, Not(HasSubstr("Pihak ketiga")));
  EXPECT_THAT(m.text, HasSubstr("Langkah berikutnya: mohon tunjuk petugas untuk "
                                "menindaklanjuti.\n"));
  EXPECT_THAT(m.text, HasSubstr("pantauctl incidents ack 42"));
  EXPECT_LT(m.text.size(), 1000u) << m.text;

  // Handed off to the hosting provider, promise kept so far.
  view.state = "handed_off";
  view.acknowledged_by = "budi";
  view.acknowledged_at = view.opened_at + absl::Minutes(10);
  view.vendor = "PT Hosting Nusantara";
  view.vendor_ticket = "T-1234";
  view.vendor_contact = "021-5550123";
  view.vendor_sla_until = view.opened_at + absl::Hours(4);
  m = RenderMessage(MessageKind::kSituation, view, &runbook);
  EXPECT_THAT(m.text, HasSubstr("Penanganan: Ditindaklanjuti oleh budi sejak 26 Nov 2026 08.15 "
                                "WIB; diserahkan kepada pihak ketiga PT Hosting Nusantara (tiket "
                                "T-1234), kontak 021-5550123, dijanjikan selesai 26 Nov 2026 "
                                "12.05 WIB.\n"));
  EXPECT_THAT(m.text, HasSubstr("Langkah berikutnya: menunggu penyelesaian oleh PT Hosting "
                                "Nusantara.\n"));
  EXPECT_THAT(m.text, Not(HasSubstr("pantauctl incidents ack")));

  // The promised time has passed.
  view.now = view.opened_at + absl::Hours(5);
  m = RenderMessage(MessageKind::kSituation, view, &runbook);
  EXPECT_THAT(m.text, HasSubstr("Langkah berikutnya: batas waktu yang dijanjikan PT Hosting "
                                "Nusantara (26 Nov 2026 12.05 WIB) sudah lewat; mohon ditagih.\n"));
}

TEST(RenderMessage, ResolvedSaysHowLongAndByWhom) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.state = "resolved";
  view.now = view.opened_at + absl::Minutes(65);
  view.resolved_by = "pantau";
  RenderedMessage m = RenderMessage(MessageKind::kResolved, view, &runbook);
  EXPECT_EQ(m.subject, "[SELESAI] PN Bandung: Situs tidak dapat diakses (pn-bandung)");
  EXPECT_THAT(m.text, StartsWith("Insiden #42 di PN Bandung telah selesai: Situs tidak dapat "
                                 "diakses.\n"));
  EXPECT_THAT(m.text, HasSubstr("Mulai: 26 Nov 2026 08.05 WIB\n"));
  EXPECT_THAT(m.text, HasSubstr("Selesai: 26 Nov 2026 09.10 WIB (berlangsung 1 jam 5 menit)\n"));
  EXPECT_THAT(m.text, HasSubstr("pulih dengan sendirinya"));
  EXPECT_THAT(m.text, Not(HasSubstr("pantauctl incidents ack")));
  EXPECT_THAT(m.text, Not(HasSubstr("Alternatif pemecahan masalah")));

  view.resolved_by = "budi";
  view.acknowledged_by = "budi";
  view.resolution = "Disk penuh; log lama dihapus dan nginx dijalankan ulang.";
  m = RenderMessage(MessageKind::kResolved, view, &runbook);
  EXPECT_THAT(m.text, HasSubstr("Diselesaikan oleh: budi\n"));
  EXPECT_THAT(m.text, HasSubstr("Catatan: Disk penuh; log lama dihapus dan nginx dijalankan "
                                "ulang.\n"));
  EXPECT_THAT(m.json, HasSubstr("\"message_kind\":\"resolved\""));
}

TEST(RenderMessage, ShowsTimesInTheCourtsZone) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.court_id = "PN-MAKASSAR";
  view.court_name = "Pengadilan Negeri Makassar";
  view.time_zone = "Asia/Makassar";
  EXPECT_THAT(RenderMessage(MessageKind::kOpened, view, &runbook).text,
              HasSubstr("Sejak: 26 Nov 2026 09.05 WITA (15 menit)"));
  view.court_id = "PA-JAYAPURA";
  view.court_name = "Pengadilan Agama Jayapura";
  view.time_zone = "Asia/Jayapura";
  const RenderedMessage m = RenderMessage(MessageKind::kOpened, view, &runbook);
  EXPECT_THAT(m.text, HasSubstr("Sejak: 26 Nov 2026 10.05 WIT (15 menit)"));
  EXPECT_THAT(m.subject, StartsWith("[KRITIS] PA Jayapura: "));
}

TEST(RenderMessage, WorksWithoutRunbookOrCourtName) {
  IncidentView view = View();
  view.kind = "backup_missing";
  view.court_name = "";
  view.severity = IncidentSeverity::kMinor;
  const RenderedMessage m = RenderMessage(MessageKind::kOpened, view, nullptr);
  EXPECT_EQ(m.subject, "[RINGAN] PN-BANDUNG: Insiden backup_missing (pn-bandung)");
  EXPECT_THAT(m.text, HasSubstr("Pengadilan: PN-BANDUNG\n"));
  EXPECT_THAT(m.text, HasSubstr("Alternatif pemecahan masalah:\nBelum ada panduan"));
  EXPECT_TRUE(JsonChecker(m.json).Valid()) << m.json;
  EXPECT_THAT(m.json, HasSubstr("\"court_name\":null"));
}

TEST(RenderMessage, NamesTheAgentOfAnAgentSilentIncident) {
  IncidentView view = View();
  view.kind = "agent_silent";
  view.site = "agent-pn-bandung-01";
  view.site_url = "";
  const RenderedMessage m = RenderMessage(MessageKind::kOpened, view, nullptr);
  EXPECT_THAT(m.text, HasSubstr("Agen pemantau: agent-pn-bandung-01\n"));
}

TEST(RenderMessage, CutsLongDetailsOnCharacterBoundaries) {
  const Runbook runbook = SiteDown();
  // 2-byte and 3-byte characters, so that a cut at a fixed byte count would split one.
  for (const std::string unit : {"\xC3\xA9", "\xE2\x82\xAC", "a\xE2\x82\xAC"}) {
    SCOPED_TRACE(unit.size());
    IncidentView view = View();
    view.detail.clear();
    while (view.detail.size() < 3000) view.detail += unit;
    const RenderedMessage m = RenderMessage(MessageKind::kOpened, view, &runbook);
    const std::string detail = DetailSection(m.text);
    EXPECT_LE(detail.size(), 500u);
    EXPECT_GE(detail.size(), 490u);
    EXPECT_EQ(ValidUtf8(detail), detail);
    EXPECT_THAT(detail, EndsWith("\xE2\x80\xA6"));
    EXPECT_TRUE(JsonChecker(m.json).Valid());

    const RenderedMessage s = RenderMessage(MessageKind::kSituation, view, &runbook);
    EXPECT_EQ(ValidUtf8(s.text), s.text);
    EXPECT_LT(s.text.size(), 1200u);
  }
}

TEST(RenderMessage, KeepsSubjectsShortAndOnOneLine) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.court_name = "Pengadilan Negeri " + std::string(200, 'X');
  view.site = "site\nwith-newline";
  const RenderedMessage m = RenderMessage(MessageKind::kEscalated, view, &runbook);
  EXPECT_LE(m.subject.size(), 150u);
  EXPECT_EQ(m.subject.find('\n'), std::string::npos);
  EXPECT_EQ(ValidUtf8(m.subject), m.subject);
}

TEST(RenderMessage, ReplacesControlCharactersAndInvalidBytesInDetails) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.detail =
      "bad\x01"
      "byte\xFF\r\nnext line";
  const RenderedMessage m = RenderMessage(MessageKind::kOpened, view, &runbook);
  EXPECT_EQ(DetailSection(m.text), "bad byte\xEF\xBF\xBD\nnext line");
}

TEST(RenderMessage, JsonCarriesTheIncidentEscaped) {
  const Runbook runbook = SiteDown();
  IncidentView view = View();
  view.detail = "He said \"hacked by x\"\nsecond line\\ and a tab\t.";
  view.court_name = "Pengadilan \"Negeri\" Bandung";
  view.acknowledged_by = "budi";
  view.acknowledged_at = view.opened_at + absl::Minutes(3);
  view.state = "acknowledged";
  view.step = 2;
  view.step_role = "kasubbag";
  const RenderedMessage m = RenderMessage(MessageKind::kEscalated, view, &runbook);
  ASSERT_TRUE(JsonChecker(m.json).Valid()) << m.json;
  EXPECT_THAT(m.json, StartsWith("{\"incident\":{\"id\":42,"));
  EXPECT_THAT(
      m.json,
      AllOf(HasSubstr("\"court_id\":\"PN-BANDUNG\""), HasSubstr("\"site\":\"pn-bandung\""),
            HasSubstr("\"kind\":\"site_down\""), HasSubstr("\"severity\":\"critical\""),
            HasSubstr("\"state\":\"acknowledged\""),
            HasSubstr("\"opened_at\":\"2026-11-26T01:05:00Z\""), HasSubstr("\"step\":2"),
            HasSubstr("\"step_role\":\"kasubbag\""), HasSubstr("\"acknowledged_by\":\"budi\""),
            HasSubstr("\"acknowledged_at\":\"2026-11-26T01:08:00Z\""), HasSubstr("\"vendor\":null"),
            HasSubstr("\"message_kind\":\"escalated\"")));
  EXPECT_THAT(m.json, HasSubstr("He said \\\"hacked by x\\\"\\nsecond line\\\\ and a tab\\t."));
  EXPECT_EQ(m.json.find('\n'), std::string::npos);

  // A JSON reader gets the texts back exactly (JSON is YAML 1.2 flow syntax).
  const YAML::Node parsed = YAML::Load(m.json);
  EXPECT_EQ(parsed["incident"]["detail"].as<std::string>(), view.detail);
  EXPECT_EQ(parsed["incident"]["court_name"].as<std::string>(), view.court_name);
  EXPECT_EQ(parsed["incident"]["id"].as<int64_t>(), 42);
  EXPECT_EQ(parsed["subject"].as<std::string>(), m.subject);
  EXPECT_EQ(parsed["text"].as<std::string>(), m.text);
}


TEST(RenderMessage, IntegrityIncidentsNameTheLastCleanBackupInTheCourtsZone) {
  IncidentView v = View();
  v.kind = "web_root_compromised";
  v.time_zone = "Asia/Makassar";
  EXPECT_EQ(RestoreLines(v), "");  // not an integrity incident: nothing said
  const std::string plain = RenderMessage(MessageKind::kOpened, v, nullptr).text;
  EXPECT_THAT(plain, Not(HasSubstr("Cadangan")));

  v.restore_known = true;
  v.last_clean_backup_id = "pn-bandung-20261126T000000Z";
  v.last_clean_backup_at = Utc(2026, 11, 26, 0, 0);
  v.restore_command = "pantau-agent backup restore pn-bandung-20261126T000000Z --to DIR";
  const std::string text = RenderMessage(MessageKind::kOpened, v, nullptr).text;
  EXPECT_THAT(text, HasSubstr("Cadangan bersih terakhir: pn-bandung-20261126T000000Z "
                              "(26 Nov 2026 08.00 WITA)\n"
                              "Perintah pemulihan: pantau-agent backup restore "
                              "pn-bandung-20261126T000000Z --to DIR\n"));
  EXPECT_THAT(RenderMessage(MessageKind::kSituation, v, nullptr).text,
              HasSubstr("Cadangan bersih terakhir: pn-bandung-20261126T000000Z"));
  EXPECT_THAT(RenderMessage(MessageKind::kOpened, v, nullptr).json,
              HasSubstr("\"restore\":{\"last_clean_backup_id\":\"pn-bandung-20261126T000000Z\""));

  v.last_clean_backup_id.clear();
  v.last_clean_backup_at = absl::InfinitePast();
  v.restore_command.clear();
  EXPECT_THAT(RenderMessage(MessageKind::kOpened, v, nullptr).text,
              HasSubstr("Belum ada cadangan terverifikasi sebelum temuan pertama.\n"));
}

}  // namespace
}  // namespace pantau::collector
