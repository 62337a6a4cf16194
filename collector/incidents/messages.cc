#include "collector/incidents/messages.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "collector/incidents/org_spec.h"
#include "common/json_writer.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

constexpr absl::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun",
                                         "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
constexpr size_t kMaxSubjectBytes = 150;
constexpr size_t kMaxDetailBytes = 500;
constexpr size_t kMaxNoteBytes = 500;
constexpr size_t kMaxFieldBytes = 200;
// The situation update is read on a phone between other work: the first steps only, short.
constexpr size_t kSituationSteps = 3;
constexpr size_t kSituationStepBytes = 160;
constexpr size_t kSituationDetailBytes = 200;
constexpr absl::string_view kEllipsis = "\xE2\x80\xA6";  // "…"

// Text that comes from outside (agent details, names, notes) made safe for a message: valid
// UTF-8, control characters as spaces (newlines kept unless `one_line`), surrounding spaces
// trimmed, and at most `max_bytes` bytes, an ellipsis marking a cut.
std::string Clean(absl::string_view text, size_t max_bytes, bool one_line) {
  std::string s;
  s.reserve(std::min(text.size(), 4 * max_bytes));
  for (char c : text.substr(0, 4 * max_bytes + 16)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\r') continue;
    if ((u < 0x20 && !(c == '\n' && !one_line) && c != '\t') || u == 0x7F) {
      s += ' ';
    } else if (c == '\t' && one_line) {
      s += ' ';
    } else {
      s += c;
    }
  }
  std::string valid = ValidUtf8(absl::StripAsciiWhitespace(s));
  if (valid.size() <= max_bytes && text.size() <= 4 * max_bytes + 16) return valid;
  std::string cut = ClampUtf8(valid, max_bytes - kEllipsis.size());
  cut.append(kEllipsis.data(), kEllipsis.size());
  return cut;
}
std::string Line(absl::string_view text) { return Clean(text, kMaxFieldBytes, true); }

// "Pengadilan Negeri Bandung" -> "PN Bandung" for subjects; the code when the name is unknown.
std::string CourtShortName(const IncidentView& view) {
  if (view.court_name.empty()) return Line(view.court_id);
  struct Prefix {
    absl::string_view long_form;
    absl::string_view short_form;
  };
  // Longest first: "Pengadilan Tinggi Agama" before "Pengadilan Tinggi".
  static constexpr Prefix kPrefixes[] = {
      {"Pengadilan Tinggi Tata Usaha Negara ", "PTTUN "},
      {"Pengadilan Tata Usaha Negara ", "PTUN "},
      {"Pengadilan Tinggi Agama ", "PTA "},
      {"Pengadilan Militer Tinggi ", "PMT "},
      {"Pengadilan Militer Utama", "PMU"},
      {"Pengadilan Tinggi ", "PT "},
      {"Pengadilan Negeri ", "PN "},
      {"Pengadilan Agama ", "PA "},
      {"Pengadilan Militer ", "PM "},
      {"Mahkamah Syar'iyah Aceh", "MS Aceh"},
      {"Mahkamah Syar'iyah ", "MS "},
  };
  for (const Prefix& p : kPrefixes) {
    if (absl::StartsWithIgnoreCase(view.court_name, p.long_form)) {
      return Line(absl::StrCat(p.short_form, view.court_name.substr(p.long_form.size())));
    }
  }
  return Line(view.court_name);
}

std::string CourtFullName(const IncidentView& view) {
  if (view.court_name.empty()) return Line(view.court_id);
  return absl::StrCat(Line(view.court_name), " (", Line(view.court_id), ")");
}

std::string Title(const IncidentView& view, const Runbook* runbook) {
  if (runbook != nullptr && !runbook->title.empty()) return Line(runbook->title);
  return absl::StrCat("Insiden ", Line(view.kind));
}

std::string SeverityTag(IncidentSeverity severity) {
  return absl::AsciiStrToUpper(IncidentSeverityLabel(severity));
}

std::string StepText(const IncidentView& view) {
  if (view.step_role.empty()) return absl::StrCat(view.step);
  return absl::StrCat(view.step, " (", Line(view.step_role), ")");
}

bool Acknowledged(const IncidentView& view) { return !view.acknowledged_by.empty(); }
bool Set(absl::Time t) { return t != absl::InfinitePast() && t != absl::InfiniteFuture(); }

// Who is on it: the acknowledging person and, when handed off, the third party.
std::string Handling(const IncidentView& view) {
  std::string out;
  if (Acknowledged(view)) {
    out = absl::StrCat("Ditindaklanjuti oleh ", Line(view.acknowledged_by));
    if (Set(view.acknowledged_at)) {
      absl::StrAppend(&out, " sejak ", FormatLocalTime(view.acknowledged_at, view.time_zone));
    }
  } else {
    out = "Belum ada yang menindaklanjuti";
  }
  if (view.state == "handed_off" || !view.vendor.empty()) {
    absl::StrAppend(&out, "; diserahkan kepada pihak ketiga",
                    view.vendor.empty() ? "" : absl::StrCat(" ", Line(view.vendor)));
    if (!view.vendor_ticket.empty())
      absl::StrAppend(&out, " (tiket ", Line(view.vendor_ticket), ")");
    if (!view.vendor_contact.empty()) absl::StrAppend(&out, ", kontak ", Line(view.vendor_contact));
    if (Set(view.vendor_sla_until)) {
      absl::StrAppend(&out, ", dijanjikan selesai ",
                      FormatLocalTime(view.vendor_sla_until, view.time_zone));
    }
  }
  return out;
}

std::string SinceText(const IncidentView& view) {
  return absl::StrCat(FormatLocalTime(view.opened_at, view.time_zone), " (",
                      FormatDurationId(view.now - view.opened_at), ")");
}

void AppendSiteLine(const IncidentView& view, std::string* out) {
  const absl::string_view label = view.kind == "agent_silent" ? "Agen pemantau" : "Situs";
  absl::StrAppend(out, label, ": ", Line(view.site));
  if (!view.site_url.empty()) absl::StrAppend(out, " (", Line(view.site_url), ")");
  out->push_back('\n');
}

void AppendAckHint(const IncidentView& view, std::string* out) {
  if (Acknowledged(view) || view.state == "resolved") return;
  absl::StrAppend(out, "\nUntuk menindaklanjuti: pantauctl incidents ack ", view.id, "\n");
  if (view.channel == "telegram") {
    absl::StrAppend(out, "atau tekan tombol Tindak lanjuti di bawah pesan ini.\n");
  }
}

std::string LeadLine(MessageKind kind, const IncidentView& view, const std::string& title) {
  const std::string court = CourtShortName(view);
  const std::string elapsed = FormatDurationId(view.now - view.opened_at);
  switch (kind) {
    case MessageKind::kOpened:
      return absl::StrCat("Insiden baru #", view.id, " di ", court, ": ", title, ".");
    case MessageKind::kEscalated:
      if (Acknowledged(view)) {
        return absl::StrCat("Insiden #", view.id, " di ", court, " belum selesai setelah ", elapsed,
                            ", sehingga diteruskan ke tahap eskalasi ", StepText(view), ".");
      }
      return absl::StrCat("Insiden #", view.id, " di ", court, " belum ditindaklanjuti setelah ",
                          elapsed, ", sehingga diteruskan ke tahap eskalasi ", StepText(view), ".");
    case MessageKind::kReminder:
      return absl::StrCat("Pengingat: insiden #", view.id, " di ", court,
                          " belum ditindaklanjuti (sudah ", elapsed, ").");
    case MessageKind::kLevelRaised:
      return absl::StrCat("Keadaan insiden #", view.id, " di ", court,
                          " memburuk; tingkatnya kini ", IncidentSeverityLabel(view.severity), ".");
    default:
      return "";
  }
}

}  // namespace

std::string RestoreLines(const IncidentView& view) {
  if (!view.restore_known) return "";
  if (view.last_clean_backup_id.empty()) {
    return "Belum ada cadangan terverifikasi sebelum temuan pertama.\n";
  }
  std::string out = absl::StrCat("Cadangan bersih terakhir: ", Line(view.last_clean_backup_id));
  if (Set(view.last_clean_backup_at)) {
    absl::StrAppend(&out, " (", FormatLocalTime(view.last_clean_backup_at, view.time_zone), ")");
  }
  out += "\n";
  if (!view.restore_command.empty()) {
    absl::StrAppend(&out, "Perintah pemulihan: ", Clean(view.restore_command, 1024, true), "\n");
  }
  return out;
}

namespace {

std::string FullText(MessageKind kind, const IncidentView& view, const Runbook* runbook) {
  const std::string title = Title(view, runbook);
  std::string out = LeadLine(kind, view, title);
  out += "\n\n";
  absl::StrAppend(&out, "Pengadilan: ", CourtFullName(view), "\n");
  AppendSiteLine(view, &out);
  absl::StrAppend(&out, "Masalah: ", title, "\n");
  absl::StrAppend(&out, "Sejak: ", SinceText(view), "\n");
  absl::StrAppend(&out, "Tingkat: ", IncidentSeverityLabel(view.severity), "\n");
  absl::StrAppend(&out, "Tahap eskalasi: ", StepText(view), "\n");
  absl::StrAppend(&out, "Penanganan: ", Handling(view), "\n");
  if (runbook != nullptr && !runbook->summary.empty()) {
    absl::StrAppend(&out, "\n", Clean(runbook->summary, 2000, false), "\n");
  }
  if (!view.detail.empty()) {
    absl::StrAppend(&out, "\nRincian teknis:\n", Clean(view.detail, kMaxDetailBytes, false), "\n");
  }
  if (view.restore_known) absl::StrAppend(&out, "\n", RestoreLines(view));
  out += "\nAlternatif pemecahan masalah:\n";
  if (runbook != nullptr && !runbook->steps.empty()) {
    for (size_t i = 0; i < runbook->steps.size(); ++i) {
      absl::StrAppend(&out, i + 1, ". ", Clean(runbook->steps[i], 2000, false), "\n");
    }
  } else {
    out +=
        "Belum ada panduan untuk jenis insiden ini. Periksa rincian teknis di atas dan "
        "hubungi administrator pantau.\n";
  }
  if (runbook != nullptr && !runbook->third_party.empty()) {
    absl::StrAppend(&out, "\nPihak ketiga: ", Clean(runbook->third_party, 2000, false), "\n");
  }
  AppendAckHint(view, &out);
  return out;
}

// SOP activity 5: the situation, the problem and the alternative solutions, for the sekretaris.
std::string SituationText(const IncidentView& view, const Runbook* runbook) {
  const std::string title = Title(view, runbook);
  std::string out =
      absl::StrCat("Laporan situasi insiden #", view.id, " — ", CourtShortName(view), "\n");
  absl::StrAppend(&out, "Situasi: ", title, " (", Line(view.site), ") sejak ",
                  FormatLocalTime(view.opened_at, view.time_zone), ", sudah ",
                  FormatDurationId(view.now - view.opened_at), "; tingkat ",
                  IncidentSeverityLabel(view.severity), ".\n");
  absl::StrAppend(&out, "Penanganan: ", Handling(view), ".\n");
  if (!view.detail.empty()) {
    absl::StrAppend(&out, "Masalah: ", Clean(view.detail, kSituationDetailBytes, true), "\n");
  }
  out += RestoreLines(view);
  if (runbook != nullptr && !runbook->steps.empty()) {
    out += "Alternatif pemecahan masalah:\n";
    for (size_t i = 0; i < runbook->steps.size() && i < kSituationSteps; ++i) {
      absl::StrAppend(&out, i + 1, ". ", Clean(runbook->steps[i], kSituationStepBytes, true), "\n");
    }
  }
  out += "Langkah berikutnya: ";
  if (view.state == "handed_off" || !view.vendor.empty()) {
    const std::string vendor = view.vendor.empty() ? "pihak ketiga" : Line(view.vendor);
    if (Set(view.vendor_sla_until) && view.now > view.vendor_sla_until) {
      absl::StrAppend(&out, "batas waktu yang dijanjikan ", vendor, " (",
                      FormatLocalTime(view.vendor_sla_until, view.time_zone),
                      ") sudah lewat; mohon ditagih.\n");
    } else {
      absl::StrAppend(&out, "menunggu penyelesaian oleh ", vendor, ".\n");
    }
  } else if (Acknowledged(view)) {
    absl::StrAppend(&out, Line(view.acknowledged_by),
                    " melanjutkan penanganan; laporan ini diulang sampai insiden selesai.\n");
  } else {
    absl::StrAppend(&out, "mohon tunjuk petugas untuk menindaklanjuti.\n");
  }
  AppendAckHint(view, &out);
  return out;
}

std::string ResolvedText(const IncidentView& view, const Runbook* runbook) {
  const std::string title = Title(view, runbook);
  std::string out = absl::StrCat("Insiden #", view.id, " di ", CourtShortName(view),
                                 " telah selesai: ", title, ".\n\n");
  absl::StrAppend(&out, "Pengadilan: ", CourtFullName(view), "\n");
  AppendSiteLine(view, &out);
  absl::StrAppend(&out, "Mulai: ", FormatLocalTime(view.opened_at, view.time_zone), "\n");
  absl::StrAppend(&out, "Selesai: ", FormatLocalTime(view.now, view.time_zone), " (berlangsung ",
                  FormatDurationId(view.now - view.opened_at), ")\n");
  if (view.resolved_by.empty() || view.resolved_by == "pantau") {
    out += "Penyelesaian: pulih dengan sendirinya (dipastikan oleh pemantauan pantau)\n";
  } else {
    absl::StrAppend(&out, "Diselesaikan oleh: ", Line(view.resolved_by), "\n");
  }
  if (Acknowledged(view))
    absl::StrAppend(&out, "Ditindaklanjuti oleh: ", Line(view.acknowledged_by), "\n");
  if (!view.resolution.empty()) {
    absl::StrAppend(&out, "Catatan: ", Clean(view.resolution, kMaxNoteBytes, false), "\n");
  }
  return out;
}

std::string Subject(MessageKind kind, const IncidentView& view, const Runbook* runbook) {
  std::string tag;
  switch (kind) {
    case MessageKind::kOpened:
      tag = absl::StrCat("[", SeverityTag(view.severity), "] ");
      break;
    case MessageKind::kEscalated:
      tag = absl::StrCat("[", SeverityTag(view.severity), "] Eskalasi tahap ", view.step, " — ");
      break;
    case MessageKind::kReminder:
      tag = absl::StrCat("[", SeverityTag(view.severity), "] Pengingat — ");
      break;
    case MessageKind::kSituation:
      tag = absl::StrCat("[", SeverityTag(view.severity), "] Laporan situasi — ");
      break;
    case MessageKind::kLevelRaised:
      tag = absl::StrCat("[", SeverityTag(view.severity), "] Memburuk — ");
      break;
    case MessageKind::kResolved:
      tag = "[SELESAI] ";
      break;
  }
  return Clean(absl::StrCat(tag, CourtShortName(view), ": ", Title(view, runbook), " (",
                            Line(view.site), ")"),
               kMaxSubjectBytes, true);
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// Optional fields are null when empty, so a webhook consumer needs one test per field.
void OptionalString(JsonWriter& w, absl::string_view key, absl::string_view value) {
  w.Key(key);
  if (value.empty()) {
    w.Null();
  } else {
    w.String(value);
  }
}
void OptionalTime(JsonWriter& w, absl::string_view key, absl::Time t) {
  w.Key(key);
  if (Set(t)) {
    w.String(Rfc3339(t));
  } else {
    w.Null();
  }
}

std::string Json(MessageKind kind, const IncidentView& view, const Runbook* runbook,
                 const RenderedMessage& m) {
  JsonWriter w;
  w.BeginObject().Key("incident").BeginObject();
  w.Key("id").Int(view.id);
  w.Key("court_id").String(view.court_id);
  OptionalString(w, "court_name", view.court_name);
  w.Key("time_zone").String(view.time_zone);
  w.Key("site").String(view.site);
  OptionalString(w, "site_url", view.site_url);
  w.Key("kind").String(view.kind);
  w.Key("title").String(Title(view, runbook));
  w.Key("severity").String(IncidentSeverityName(view.severity));
  w.Key("state").String(view.state);
  OptionalTime(w, "opened_at", view.opened_at);
  w.Key("step").Int(view.step);
  OptionalString(w, "step_role", view.step_role);
  OptionalString(w, "acknowledged_by", view.acknowledged_by);
  OptionalTime(w, "acknowledged_at", view.acknowledged_at);
  OptionalString(w, "vendor", view.vendor);
  OptionalString(w, "vendor_ticket", view.vendor_ticket);
  OptionalString(w, "vendor_contact", view.vendor_contact);
  OptionalTime(w, "vendor_sla_until", view.vendor_sla_until);
  OptionalString(w, "resolved_by", view.resolved_by);
  OptionalString(w, "resolution", Clean(view.resolution, kMaxNoteBytes, false));
  OptionalString(w, "detail", Clean(view.detail, kMaxDetailBytes, false));
  if (view.restore_known) {
    w.Key("restore").BeginObject();
    OptionalString(w, "last_clean_backup_id", view.last_clean_backup_id);
    OptionalTime(w, "last_clean_backup_at", view.last_clean_backup_at);
    OptionalString(w, "restore_command", view.restore_command);
    w.EndObject();
  }
  w.EndObject();
  w.Key("message_kind").String(MessageKindName(kind));
  w.Key("subject").String(m.subject);
  w.Key("text").String(m.text);
  w.EndObject();
  return w.str();
}

}  // namespace

absl::string_view MessageKindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kOpened:
      return "opened";
    case MessageKind::kEscalated:
      return "escalated";
    case MessageKind::kReminder:
      return "reminder";
    case MessageKind::kSituation:
      return "situation";
    case MessageKind::kLevelRaised:
      return "level_raised";
    case MessageKind::kResolved:
      return "resolved";
  }
  return "unknown";
}

std::string FormatLocalTime(absl::Time t, absl::string_view zone) {
  if (!Set(t)) return "-";
  // Fixed offsets: Indonesia has no daylight saving time, and no tzdata is needed.
  const absl::TimeZone tz = absl::FixedTimeZone(TimeZoneOffsetHours(zone) * 3600);
  const absl::CivilMinute cm = absl::ToCivilMinute(t, tz);
  return absl::StrFormat("%d %s %d %02d.%02d %s", cm.day(), kMonths[cm.month() - 1], cm.year(),
                         cm.hour(), cm.minute(), TimeZoneAbbreviation(zone));
}

std::string FormatDurationId(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "-";
  if (d < absl::Minutes(1)) return "kurang dari 1 menit";
  const int64_t minutes = absl::ToInt64Minutes(d);
  const int64_t days = minutes / (24 * 60);
  const int64_t hours = minutes / 60 % 24;
  const int64_t mins = minutes % 60;
  if (days > 0) {
    return hours > 0 ? absl::StrCat(days, " hari ", hours, " jam") : absl::StrCat(days, " hari");
  }
  if (hours > 0) {
    return mins > 0 ? absl::StrCat(hours, " jam ", mins, " menit") : absl::StrCat(hours, " jam");
  }
  return absl::StrCat(mins, " menit");
}

RenderedMessage RenderMessage(MessageKind kind, const IncidentView& view, const Runbook* runbook) {
  RenderedMessage m;
  m.subject = Subject(kind, view, runbook);
  switch (kind) {
    case MessageKind::kSituation:
      m.text = SituationText(view, runbook);
      break;
    case MessageKind::kResolved:
      m.text = ResolvedText(view, runbook);
      break;
    default:
      m.text = FullText(kind, view, runbook);
      break;
  }
  m.json = Json(kind, view, runbook, m);
  return m;
}

}  // namespace pantau::collector
