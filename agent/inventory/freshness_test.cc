#include "agent/inventory/freshness.h"

#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

using Day = absl::CivilDay;

// --- ParseHttpDate / ParseW3cDateTime ---

TEST(ParseHttpDate, ReadsTheThreeHttpForms) {
  EXPECT_THAT(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"),
              Optional(Utc(1994, 11, 6, 8, 49, 37)));
  EXPECT_THAT(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"),
              Optional(Utc(1994, 11, 6, 8, 49, 37)));
  EXPECT_THAT(ParseHttpDate("Sun Nov  6 08:49:37 1994"), Optional(Utc(1994, 11, 6, 8, 49, 37)));
}

TEST(ParseHttpDate, ReadsRssStyleVariants) {
  EXPECT_THAT(ParseHttpDate("Fri, 20 Nov 2026 10:04:05 +0700"),
              Optional(Utc(2026, 11, 20, 3, 4, 5)));
  EXPECT_THAT(ParseHttpDate("20 Nov 2026 10:04 WIB"), Optional(Utc(2026, 11, 20, 3, 4, 0)));
  EXPECT_THAT(ParseHttpDate("Fri, 20 Nov 2026"), Optional(Utc(2026, 11, 20)));
  EXPECT_THAT(ParseHttpDate("Fri, 20 Nov 2026 03:04:05 -05:00"),
              Optional(Utc(2026, 11, 20, 8, 4, 5)));
}

TEST(ParseHttpDate, RejectsNonsense) {
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
  EXPECT_EQ(ParseHttpDate("yesterday"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Mon, 30 Feb 2026 00:00:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Mon, 10 Feb 2026 25:00:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Mon, 10 Feb 2026 10:00:00 Mars"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("10 Feb"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("10 2026"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(std::string(500, '1')), std::nullopt);
}

TEST(ParseW3cDateTime, ReadsEveryPrecision) {
  EXPECT_THAT(ParseW3cDateTime("2026"), Optional(Utc(2026, 1, 1)));
  EXPECT_THAT(ParseW3cDateTime("2026-11"), Optional(Utc(2026, 11, 1)));
  EXPECT_THAT(ParseW3cDateTime("2026-11-20"), Optional(Utc(2026, 11, 20)));
  EXPECT_THAT(ParseW3cDateTime("2026-11-20T03:04Z"), Optional(Utc(2026, 11, 20, 3, 4)));
  EXPECT_THAT(ParseW3cDateTime(" 2026-11-20T10:04:05.123+07:00 "),
              Optional(Utc(2026, 11, 20, 3, 4, 5)));
  EXPECT_THAT(ParseW3cDateTime("2026-11-20 03:04:05"), Optional(Utc(2026, 11, 20, 3, 4, 5)));
  EXPECT_THAT(ParseW3cDateTime("2026-11-20T03:04:05"), Optional(Utc(2026, 11, 20, 3, 4, 5)));
}

TEST(ParseW3cDateTime, RejectsNonsense) {
  for (const char* bad :
       {"", "20261120", "2026-13-01", "2026-02-30", "2026-11-20T", "2026-11-20T3:04",
        "2026-11-20T03:04:05+25:00", "2026-11-20junk", "Nov 2026"}) {
    EXPECT_EQ(ParseW3cDateTime(bad), std::nullopt) << bad;
  }
}

// --- Feeds ---

constexpr char kWordPressRss[] = R"(<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
	<title>Pengadilan Negeri Contoh</title>
	<atom:link href="https://pn-contoh.go.id/feed/" rel="self" type="application/rss+xml" />
	<link>https://pn-contoh.go.id</link>
	<description>Website Resmi Pengadilan Negeri Contoh Kelas IA</description>
	<lastBuildDate>Wed, 18 Nov 2026 02:11:45 +0000</lastBuildDate>
	<language>id</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<generator>https://wordpress.org/?v=6.6.2</generator>
	<item>
		<title>Penandatanganan Pakta Integritas &#038; Komitmen Bersama</title>
		<link>https://pn-contoh.go.id/berita/penandatanganan-pakta-integritas/</link>
		<dc:creator><![CDATA[humas]]></dc:creator>
		<pubDate>Fri, 20 Nov 2026 03:04:05 +0000</pubDate>
		<category><![CDATA[Berita]]></category>
		<description><![CDATA[<p>Jakarta, <pubDate>Sat, 01 Jan 2050 00:00:00 +0000</pubDate> rapat pada Rabu, 25 November 2026</p>]]></description>
	</item>
	<item>
		<title>Pengumuman Libur Nasional</title>
		<pubDate>Mon, 02 Nov 2026 01:00:00 +0000</pubDate>
	</item>
</channel>
</rss>)";

TEST(NewestFeedDate, ReadsAWordPressRssFeed) {
  // The newest <pubDate> wins over an older <lastBuildDate>; the one inside CDATA is text.
  EXPECT_THAT(NewestFeedDate(kWordPressRss), Optional(Utc(2026, 11, 20, 3, 4, 5)));
}

constexpr char kAtom[] = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="id-id">
  <title type="text">Pengadilan Agama Contoh</title>
  <updated>2026-10-05T09:00:00+07:00</updated>
  <generator uri="https://www.joomla.org">Joomla! - Open Source Content Management</generator>
  <entry>
    <title>Sidang Keliling di Kecamatan Sukamaju</title>
    <published>2026-10-04T08:00:00+07:00</published>
    <updated>2026-10-06T14:30:00+07:00</updated>
    <author><name>Admin</name></author>
  </entry>
  <entry>
    <title>Zona Integritas</title>
    <published>2026-09-01T08:00:00Z</published>
  </entry>
</feed>)";

TEST(NewestFeedDate, ReadsAnAtomFeed) {
  EXPECT_THAT(NewestFeedDate(kAtom), Optional(Utc(2026, 10, 6, 7, 30, 0)));
}

TEST(NewestFeedDate, GivesNothingWithoutDates) {
  EXPECT_EQ(NewestFeedDate(""), std::nullopt);
  EXPECT_EQ(NewestFeedDate("<html><body>Not Found</body></html>"), std::nullopt);
  EXPECT_EQ(NewestFeedDate("<rss><channel><item><pubDate>kemarin</pubDate></item></channel></rss>"),
            std::nullopt);
  // Implausible years are ignored (a 1970 placeholder is no publication date).
  EXPECT_EQ(
      NewestFeedDate("<rss><item><pubDate>Thu, 01 Jan 1970 00:00:00 +0000</pubDate></item></rss>"),
      std::nullopt);
}

constexpr char kWpJson[] =
    R"([{"id":1234,"date":"2026-11-20T10:04:05","date_gmt":"2026-11-20T03:04:05",
"guid":{"rendered":"https:\/\/pn-contoh.go.id\/?p=1234"},"modified":"2026-11-21T08:00:00",
"modified_gmt":"2026-11-21T01:00:00","slug":"penandatanganan-pakta-integritas","status":"publish",
"type":"post","link":"https:\/\/pn-contoh.go.id\/berita\/penandatanganan-pakta-integritas\/",
"title":{"rendered":"Penandatanganan Pakta Integritas"},
"content":{"rendered":"<p>\"date_gmt\":\"2099-01-01T00:00:00\" quoted in text<\/p>","protected":false}}])";

TEST(NewestWpJsonPostDate, ReadsDateAndModifiedGmt) {
  // modified_gmt is newer; the escaped look-alike inside "content" is not a key.
  EXPECT_THAT(NewestWpJsonPostDate(kWpJson), Optional(Utc(2026, 11, 21, 1, 0, 0)));
  EXPECT_THAT(NewestWpJsonPostDate("  [ { \"date_gmt\" : \"2026-01-02T03:04:05\" } ]"),
              Optional(Utc(2026, 1, 2, 3, 4, 5)));
}

TEST(NewestWpJsonPostDate, GivesNothingForErrorsAndGarbage) {
  EXPECT_EQ(NewestWpJsonPostDate(
                R"({"code":"rest_no_route","message":"No route","data":{"status":404}})"),
            std::nullopt);
  EXPECT_EQ(NewestWpJsonPostDate("<!DOCTYPE html><html>403 Forbidden</html>"), std::nullopt);
  EXPECT_EQ(NewestWpJsonPostDate("[]"), std::nullopt);
  EXPECT_EQ(NewestWpJsonPostDate(R"([{"date_gmt":"0000-00-00T00:00:00"}])"), std::nullopt);
  EXPECT_EQ(NewestWpJsonPostDate(R"([{"date_gmt":)"), std::nullopt);
  EXPECT_EQ(NewestWpJsonPostDate(R"([{"date_gmt":"2026-11-20T03:04:05)"), std::nullopt);
  EXPECT_EQ(NewestWpJsonPostDate(""), std::nullopt);
}

TEST(NewestSitemapLastmod, TakesTheNewestEntry) {
  SitemapDoc doc;
  doc.entries.push_back({"https://x.go.id/a", Utc(2026, 1, 1)});
  doc.entries.push_back({"https://x.go.id/b", std::nullopt});
  doc.entries.push_back({"https://x.go.id/c", Utc(2026, 3, 1)});
  EXPECT_THAT(NewestSitemapLastmod(doc), Optional(Utc(2026, 3, 1)));
  EXPECT_EQ(NewestSitemapLastmod(SitemapDoc()), std::nullopt);
}

// --- Dates in page text ---

TEST(FindDates, ReadsIndonesianAndEnglishForms) {
  EXPECT_THAT(FindDates("Diposting 25/11/2026 oleh Admin"), ElementsAre(Day(2026, 11, 25)));
  EXPECT_THAT(FindDates("tanggal 5-1-2026, 2026-11-25 dan 25.11.2026."),
              ElementsAre(Day(2026, 1, 5), Day(2026, 11, 25), Day(2026, 11, 25)));
  EXPECT_THAT(FindDates("Rabu, 25 November 2026 | 1 Mei 2026 | 17 Agustus 2026"),
              ElementsAre(Day(2026, 11, 25), Day(2026, 5, 1), Day(2026, 8, 17)));
  EXPECT_THAT(
      FindDates("3 Jan 2026, 4 Peb 2026, 9 Agt 2026, 10 Ags 2026, 11 Agu 2026, 12 Okt 2026"),
      ElementsAre(Day(2026, 1, 3), Day(2026, 2, 4), Day(2026, 8, 9), Day(2026, 8, 10),
                  Day(2026, 8, 11), Day(2026, 10, 12)));
  EXPECT_THAT(
      FindDates("30 Nopember 2026; 1 Des. 2026; 2-Dec-2026; 31 DESEMBER 2026"),
      ElementsAre(Day(2026, 11, 30), Day(2026, 12, 1), Day(2026, 12, 2), Day(2026, 12, 31)));
  EXPECT_THAT(FindDates("Posted on November 25, 2026 and Dec 1st, 2026"),
              ElementsAre(Day(2026, 11, 25), Day(2026, 12, 1)));
  EXPECT_THAT(FindDates("Senin,\xC2\xA0"
                        "7\xC2\xA0"
                        "September\xC2\xA0"
                        "2026"),
              ElementsAre(Day(2026, 9, 7)));
  // Month-first only when day-first is impossible.
  EXPECT_THAT(FindDates("11/25/2026 and 03/04/2026"),
              ElementsAre(Day(2026, 11, 25), Day(2026, 4, 3)));
}

TEST(FindDates, IgnoresNumbersThatAreNotDates) {
  EXPECT_THAT(FindDates("Telp. (021) 1234-5678, 021-1234-5678, HP 0812-2026-1234"), IsEmpty());
  EXPECT_THAT(FindDates("Pasal 303 KUHP jo. Pasal 55 ayat (1) ke-1"), IsEmpty());
  EXPECT_THAT(FindDates("versi 1.2.3, WordPress 6.6.2, build 2026.1"), IsEmpty());
  EXPECT_THAT(FindDates("Putusan No. 12/Pdt.G/2026/PN Jkt.Pst dan 1/Pid.Sus/2026/PN Jkt.Pst"),
              IsEmpty());
  EXPECT_THAT(FindDates("Surat Nomor W10-U1/1234/HK.02/11/2026 perihal"), IsEmpty());
  EXPECT_THAT(FindDates("Biaya Rp 1.250.000 dan Rp 25.000.000"), IsEmpty());
  EXPECT_THAT(FindDates("Tahun 2026, November 2026, 25 November"), IsEmpty());
  EXPECT_THAT(FindDates("31/02/2026, 30 Februari 2026, 32/01/2026, 00/01/2026"), IsEmpty());
  EXPECT_THAT(FindDates("25/11/1999, 25/11/2101, 1 Januari 1945"), IsEmpty());
  EXPECT_THAT(FindDates("25/11-2026 and 2026-11/25 and 25/11/2026/3"), IsEmpty());
  EXPECT_THAT(FindDates("Novel 25 Novels 2026; 25 Jane 2026"), IsEmpty());
}

TEST(FindDates, StopsAtItsLimits) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "1/1/2026 ";
  DateScanLimits limits;
  limits.max_dates = 7;
  EXPECT_EQ(FindDates(text, limits).size(), 7u);
  limits = DateScanLimits();
  limits.max_input_bytes = 20;  // "1/1/2026 1/1/2026 1/" : two complete dates
  EXPECT_EQ(FindDates(text, limits).size(), 2u);
}

TEST(FindDates, SurvivesGarbage) {
  std::mt19937 rng(11);
  const std::string alphabet = "0123456789/-.,: NovDesMeiJanuari\xC2\xA0\xff";
  size_t total = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 120);
    for (int i = 0; i < n; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    for (absl::CivilDay d : FindDates(s)) {
      EXPECT_GE(d.year(), 2000);
      EXPECT_LE(d.year(), 2100);
      ++total;
    }
  }
  EXPECT_GE(total, 0u);  // no crash or sanitizer report is the point; bounds checked above
  EXPECT_THAT(FindDates("\xff\xC2 25/11/2026 \xC2"), ElementsAre(Day(2026, 11, 25)));
}

TEST(NewestDate, IgnoresDatesBeyondTomorrow) {
  const Day today(2026, 11, 25);
  const std::string text =
      "Berita 20/11/2026. Sidang berikutnya Senin, 30 November 2026. Diperbarui 26-11-2026.";
  EXPECT_THAT(NewestDate(text, today), Optional(Day(2026, 11, 26)));
  EXPECT_EQ(NewestDate("Sidang 30/12/2026", today), std::nullopt);
  EXPECT_EQ(NewestDate("tanpa tanggal", today), std::nullopt);
}

TEST(HasDateOnOrAfter, FindsUpcomingHearings) {
  const Day today(2026, 11, 25);
  EXPECT_TRUE(HasDateOnOrAfter("Rabu, 25 November 2026 09:00 Pembuktian", today));
  EXPECT_TRUE(HasDateOnOrAfter("Sidang tanggal 01-12-2026", today));
  EXPECT_FALSE(HasDateOnOrAfter("Sidang tanggal 24-11-2026", today));
  EXPECT_FALSE(HasDateOnOrAfter("Sidang tanggal 01-12-2028", today));  // > a year ahead
  EXPECT_FALSE(HasDateOnOrAfter("", today));
}

// --- PickFreshness ---

TEST(PickFreshness, PrefersTheMostDirectSource) {
  const absl::Time now = Utc(2026, 11, 25, 5, 0, 0);
  const absl::TimeZone jakarta = absl::FixedTimeZone(7 * 3600);
  FreshnessInputs in;
  in.feed = Utc(2026, 11, 20, 5, 0, 0);
  in.last_modified = Utc(2026, 1, 1);
  in.listing_date = Day(2026, 11, 24);
  FreshnessResult r = PickFreshness(in, now, jakarta);
  ASSERT_TRUE(r.known);
  EXPECT_EQ(r.source, FreshnessSource::kFeed);
  EXPECT_EQ(FreshnessSourceName(r.source), "feed");
  EXPECT_EQ(r.age_days, 5);

  in.wp_json = Utc(2026, 11, 24, 23, 0, 0);
  r = PickFreshness(in, now, jakarta);
  EXPECT_EQ(r.source, FreshnessSource::kWpJson);
  EXPECT_EQ(r.age_days, 0);
}

TEST(PickFreshness, SkipsUnusableSources) {
  const absl::Time now = Utc(2026, 11, 25, 5, 0, 0);
  const absl::TimeZone jakarta = absl::FixedTimeZone(7 * 3600);
  FreshnessInputs in;
  in.wp_json = Utc(2027, 6, 1);               // in the future: a bad clock or a typo
  in.sitemap_lastmod = Utc(1990, 1, 1);       // a placeholder
  in.last_modified = now - absl::Seconds(2);  // a dynamic page stamping "now"
  in.listing_date = Day(2026, 11, 15);        // start of day in Jakarta: 11-14 17:00 UTC
  in.listing_hash_changed = Utc(2026, 11, 1);
  FreshnessResult r = PickFreshness(in, now, jakarta);
  ASSERT_TRUE(r.known);
  EXPECT_EQ(r.source, FreshnessSource::kListingDate);
  EXPECT_EQ(r.newest, Utc(2026, 11, 14, 17, 0, 0));
  EXPECT_EQ(r.age_days, 10);

  in.listing_date.reset();
  r = PickFreshness(in, now, jakarta);
  EXPECT_EQ(r.source, FreshnessSource::kListingHash);
  EXPECT_EQ(FreshnessSourceName(r.source), "listing_hash");
  EXPECT_EQ(r.age_days, 24);

  EXPECT_FALSE(PickFreshness(FreshnessInputs(), now, jakarta).known);
}

}  // namespace
}  // namespace pantau::agent
