#include "collector/ctl/command.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/utf8.h"

namespace pantau::ctl {

std::string FormatAge(int64_t seconds) {
  if (seconds < 120) return absl::StrCat(seconds, "s");
  if (seconds < 7200) return absl::StrCat(seconds / 60, "m");
  if (seconds < 172800) return absl::StrCat(seconds / 3600, "h");
  return absl::StrCat(seconds / 86400, "d");
}

std::string AgeAt(int64_t unix_ms, int64_t now_unix_ms) {
  return FormatAge(std::max<int64_t>(0, (now_unix_ms - unix_ms) / 1000));
}

std::string Cut(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  return absl::StrCat(ClampUtf8(text, width - 3), "...");
}

std::string FormatBytes(int64_t bytes) {
  const char* units[] = {"B", "K", "M", "G", "T", "P"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(bytes, "B") : absl::StrFormat("%.1f%s", v, units[u]);
}

std::string PadLeft(const std::string& text, size_t width) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return chars >= width ? text : absl::StrCat(std::string(width - chars, ' '), text);
}

std::string Plural(int64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

CourtZone ZoneOf(absl::string_view name) {
  if (name.empty() || name == "Asia/Jakarta" || name == "WIB") return Wib();
  if (name == "Asia/Makassar" || name == "WITA") return {absl::FixedTimeZone(8 * 3600), "WITA"};
  if (name == "Asia/Jayapura" || name == "WIT") return {absl::FixedTimeZone(9 * 3600), "WIT"};
  return {absl::UTCTimeZone(), "UTC"};
}

CourtZone Wib() { return {absl::FixedTimeZone(7 * 3600), "WIB"}; }

std::string FormatTimeIn(int64_t unix_ms, const CourtZone& zone) {
  if (unix_ms == 0) return "-";
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(unix_ms), zone.zone),
                      " ", zone.abbreviation);
}

bool ParseOperatorTime(absl::string_view text, absl::Time* time, std::string* error) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  CourtZone zone = Wib();
  for (const char* abbreviation : {"WITA", "WIT", "WIB"}) {
    if (absl::ConsumeSuffix(&rest, absl::StrCat(" ", abbreviation))) {
      zone = ZoneOf(abbreviation);
      rest = absl::StripTrailingAsciiWhitespace(rest);
      break;
    }
  }
  // The date and time with either separator; an explicit offset wins over `zone`.
  for (const char* format :
       {"%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M%Ez", "%Y-%m-%d %H:%M:%S%Ez", "%Y-%m-%dT%H:%M%Ez", "%Y-%m-%dT%H:%M:%S%Ez"}) {
    std::string ignored;
    if (absl::ParseTime(format, rest, zone.zone, time, &ignored)) return true;
  }
  *error = absl::StrCat("'", text,
                        "' is not a time: use \"YYYY-MM-DD HH:MM\" (WIB), add \" WITA\" or "
                        "\" WIT\", or an offset as in \"2026-11-27T10:00+08:00\"");
  return false;
}

// --- Session --------------------------------------------------------------------------------

namespace {

// The first line of `path`, whitespace trimmed; "" when the file is empty.
absl::StatusOr<std::string> FirstLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read token file ", path, ": ",
                                            std::generic_category().message(errno)));
  }
  std::string line;
  std::getline(in, line);
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  return std::string(absl::StripAsciiWhitespace(line));
}

// gRPC metadata values must be printable ASCII; a token is one word of them.
bool IsTokenText(absl::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return c > 0x20 && c < 0x7f;
  });
}

bool IsFile(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored);
}

}  // namespace

Session::Session(GlobalOptions options, const CtlEnvironment& env, std::ostream& out,
                 std::ostream& err)
    : options_(std::move(options)), env_(env), out_(out), err_(err) {}

int Session::Connect() {
  std::string& source = token_source_;
  absl::StatusOr<std::string> token = std::string();
  const std::string home_file =
      env_.home.empty() ? "" : absl::StrCat(env_.home, "/.config/pantau/token");
  if (!options_.token_file.empty()) {
    source = options_.token_file;
    token = FirstLine(options_.token_file);
  } else if (!env_.token_file.empty()) {
    source = absl::StrCat(env_.token_file, " (PANTAU_TOKEN_FILE)");
    token = FirstLine(env_.token_file);
  } else if (!env_.token.empty()) {
    source = "PANTAU_TOKEN";
    token = std::string(absl::StripAsciiWhitespace(env_.token));
  } else if (!home_file.empty() && IsFile(home_file)) {
    source = home_file;
    token = FirstLine(home_file);
  } else {
    err_ << "pantauctl: no operator token: pass --token-file FILE or set PANTAU_TOKEN_FILE\n";
    return 2;
  }
  if (!token.ok()) {
    err_ << "pantauctl: " << token.status().message() << "\n";
    return 2;
  }
  if (token->empty()) {
    err_ << "pantauctl: the operator token in " << source << " is empty\n";
    return 2;
  }
  if (!IsTokenText(*token)) {
    err_ << "pantauctl: the operator token in " << source
         << " is not one word of printable ASCII\n";
    return 2;
  }
  token_ = std::move(*token);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeCollectorChannel(options_.channel);
  if (!channel.ok()) {
    err_ << "pantauctl: " << channel.status().message() << "\n";
    return 1;
  }
  stub_ = v1::OperatorService::NewStub(*channel);
  return 0;
}

void Session::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_seconds * 1000)));
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
}

int Session::Failed(const grpc::Status& status) {
  switch (status.error_code()) {
    // The collector's own refusals: its message says what and why.
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      err_ << "pantauctl: " << status.error_message() << "\n";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      // Says which token was refused (never the token itself).
      err_ << "pantauctl: " << status.error_message() << " (the token in " << token_source_
           << ")\n";
      break;
    default:
      err_ << "pantauctl: collector at " << options_.channel.address << " answered "
           << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))
           << ": " << status.error_message() << "\n";
  }
  return 1;
}

absl::Time Session::Now() const {
  return env_.clock != nullptr ? env_.clock->Now() : absl::Now();
}

// --- ArgParser ------------------------------------------------------------------------------

ArgParser& ArgParser::Flag(const char* name, bool* target) {
  Option o;
  o.name = name;
  o.flag = target;
  options_.push_back(o);
  return *this;
}

ArgParser& ArgParser::Value(const char* name, std::string* target) {
  Option o;
  o.name = name;
  o.value = target;
  options_.push_back(o);
  return *this;
}

ArgParser& ArgParser::Number(const char* name, int64_t* target, int64_t min, int64_t max,
                             bool* given) {
  Option o;
  o.name = name;
  o.number = target;
  o.min = min;
  o.max = max;
  o.given = given;
  options_.push_back(o);
  return *this;
}

ArgParser& ArgParser::Positional(std::vector<std::string>* target, size_t max) {
  positional_ = target;
  max_positional_ = max;
  return *this;
}

int ArgParser::UsageError(absl::string_view message) {
  err_ << "pantauctl " << command_ << ": " << message << "\n" << kUsage;
  return 2;
}

bool ArgParser::Parse(const std::vector<std::string>& args) {
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_ended && a == "--") {
      options_ended = true;
      continue;
    }
    if (options_ended || a.empty() || a[0] != '-' || a == "-") {
      if (positional_ == nullptr || positional_->size() >= max_positional_) {
        UsageError(absl::StrCat("unexpected argument '", a, "'"));
        return false;
      }
      positional_->push_back(a);
      continue;
    }
    auto option = std::find_if(options_.begin(), options_.end(),
                               [&a](const Option& o) { return o.name == a; });
    if (option == options_.end()) {
      UsageError(absl::StrCat("unknown argument '", a, "'"));
      return false;
    }
    if (option->flag != nullptr) {
      *option->flag = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      UsageError(absl::StrCat(a, option->number != nullptr ? " needs a number" : " needs a value"));
      return false;
    }
    const std::string& value = args[++i];
    if (option->value != nullptr) {
      *option->value = value;
      continue;
    }
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < option->min || n > option->max) {
      UsageError(absl::StrCat(a, " needs a number from ", option->min, " to ", option->max));
      return false;
    }
    *option->number = n;
    if (option->given != nullptr) *option->given = true;
  }
  return true;
}

bool ParseId(ArgParser& parser, const std::vector<std::string>& positional, const char* what,
             int64_t* id) {
  if (positional.empty()) {
    parser.UsageError(absl::StrCat("missing ", what, " ID"));
    return false;
  }
  if (!absl::SimpleAtoi(positional[0], id) || *id <= 0) {
    parser.UsageError(
        absl::StrCat(what, " ID must be a positive number, not '", positional[0], "'"));
    return false;
  }
  return true;
}

}  // namespace pantau::ctl
