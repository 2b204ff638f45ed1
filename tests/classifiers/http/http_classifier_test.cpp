// HTTP conversations as TU Me and ordinary clients make them, fed to the classifier as a
// reassembled stream in segments of every size: requests split anywhere, chunked and
// pipelined requests, cut bodies, non-HTTP and hostile streams.

#include "classifiers/http/http_classifier.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "classifiers/ndpi/ndpi_classifier.h"
#include "classifiers/rule_set.h"
#include "config/rules_loader.h"
#include "dataplane/counters.h"

namespace ottscope {
namespace {

constexpr uint8_t kIndex = 1;

const std::string kHistoryBody =
    R"({"msisdn":"+34600000001","since":"2025-12-31T00:00:00Z","calls":[)"
    R"({"peer":"+34600000002","direction":"outgoing","durationSeconds":42},)"
    R"({"peer":"+34600000101","direction":"incoming","durationSeconds":0}]})";

std::string request(const std::string& method, const std::string& path, const std::string& host,
                    const std::string& type, const std::string& body) {
    std::string out = method + " " + path + " HTTP/1.1\r\nHost: " + host +
                      "\r\nUser-Agent: TuMe/3.2.1 (Android 14)\r\n";
    if (!type.empty()) out += "Content-Type: " + type + "\r\n";
    if (!body.empty() || method == "POST")
        out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return out + "\r\n" + body;
}

std::string response(const std::string& type, const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpClassifierTest : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string shipped = std::string(OTTSCOPE_SOURCE_ROOT) + "/config/rules.d/tume.yaml";
        RulesResult result = load_rules({shipped}, &catalog_, 1);
        ASSERT_TRUE(result.rules) << (result.errors.empty() ? "" : result.errors[0]);
        rules_ = std::move(result.rules);
        provisioning_ = rules_->apps()[1].app;
    }

    // Sends `bytes` from one side in segments of `segment` bytes; returns the progress of the
    // last segment.
    Progress send(Direction direction, const std::string& bytes, size_t segment = SIZE_MAX) {
        std::string& stream = streams_[static_cast<size_t>(direction)];
        Progress progress = Progress::need_more;
        for (size_t at = 0; at < bytes.size() && progress == Progress::need_more; at += segment) {
            const size_t offset = stream.size();
            stream += bytes.substr(at, std::min(segment, bytes.size() - at));
            progress = feed(direction, offset, 0);
        }
        return progress;
    }
    Progress feed(Direction direction, size_t offset, uint8_t flags) {
        const std::string& stream = streams_[static_cast<size_t>(direction)];
        PacketView view;
        view.direction = direction;
        view.ip_protocol = 6;
        view.flow_packets = ++packets_;
        view.server_address = server_;
        view.server_port = 80;
        view.rules = rules_.get();
        view.stream = {reinterpret_cast<const uint8_t*>(stream.data()), stream.size()};
        view.payload = view.stream.subspan(offset);
        view.stream_new_offset = static_cast<uint32_t>(offset);
        view.stream_flags = flags;
        return classifier_.inspect(state_, view, verdict_);
    }
    void conclude() {
        PacketView context;
        context.rules = rules_.get();
        context.server_address = server_;
        classifier_.conclude(state_, context, verdict_);
    }
    [[nodiscard]] std::string evidence() const {
        return std::string(catalog_.evidence_text(verdict_.evidence));
    }
    [[nodiscard]] uint64_t requests(uint16_t app, HttpMethod method) const {
        return counters_.requests(app, method).read();
    }

    NdpiModule ndpi_ = make_ndpi_module();
    AppCatalog catalog_{ndpi_.get()};
    std::unique_ptr<RuleSet> rules_;
    uint16_t provisioning_ = 0;
    std::unique_ptr<ClassifierCounters> block_ =
        std::make_unique<ClassifierCounters>(kHttpMetrics, kMaxApps);
    mutable HttpCounters counters_{*block_};  // typed access, read from const helpers too
    HttpClassifier classifier_{kIndex, block_.get()};
    void* state_ = nullptr;
    Verdict verdict_;
    std::string streams_[2];
    uint32_t packets_ = 0;
    uint8_t server_[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
};

TEST_F(HttpClassifierTest, TuMeHistoryUploadIsProvisioning) {
    EXPECT_EQ(send(Direction::client_to_server, request("POST", "/v1/history", "api.tumeapp.com",
                                                        "application/json", kHistoryBody)),
              Progress::need_more);
    EXPECT_EQ(verdict_.app, provisioning_);
    EXPECT_EQ(verdict_.tier, ClaimTier::protocol_rule);
    EXPECT_EQ(verdict_.confidence, Confidence::high);
    EXPECT_NE(evidence().find("http.host=api.tumeapp.com"), std::string::npos) << evidence();
    EXPECT_NE(evidence().find("json.key=msisdn"), std::string::npos) << evidence();
    EXPECT_EQ(send(Direction::server_to_client, response("application/json", R"({"status":"ok"})")),
              Progress::done);
    EXPECT_EQ(state_, nullptr);
    EXPECT_EQ(requests(provisioning_, HttpMethod::post), 1u);
    EXPECT_EQ(counters_.payload_bytes(provisioning_, 0).read(), kHistoryBody.size());
    EXPECT_EQ(counters_.payload_bytes(provisioning_, 1).read(), 15u);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::json_body).read(), 1u);
    EXPECT_EQ(classifier_.state_bytes_in_use(), 0u);
}

TEST_F(HttpClassifierTest, AnySegmentationGivesTheSameVerdict) {
    const std::string bytes = request("POST", "/v1/history", "API.TumeApp.com:80",
                                      "application/json; charset=utf-8", kHistoryBody);
    for (size_t segment : {1, 2, 3, 7, 13, 64, 100}) {
        verdict_ = {};
        streams_[0].clear();
        streams_[1].clear();
        packets_ = 0;
        send(Direction::client_to_server, bytes, segment);
        EXPECT_EQ(verdict_.app, provisioning_) << segment;
        conclude();
    }
}

TEST_F(HttpClassifierTest, JsonPostToAnotherHostIsNotTuMe) {
    send(Direction::client_to_server,
         request("POST", "/v1/history", "api.example.org", "application/json", kHistoryBody));
    EXPECT_NE(verdict_.app, provisioning_);
    EXPECT_EQ(verdict_.confidence, Confidence::none);
    conclude();
    EXPECT_EQ(requests(0, HttpMethod::post), 1u);
}

TEST_F(HttpClassifierTest, TuMeHostWithoutTheJsonShapeIsNotClaimed) {
    send(Direction::client_to_server,
         request("POST", "/v1/other", "api.tumeapp.com", "application/json", R"({"a":[1,2]})"));
    EXPECT_NE(verdict_.app, provisioning_);
    send(Direction::server_to_client, response("text/html", "<html></html>"));
    EXPECT_EQ(state_, nullptr);
}

TEST_F(HttpClassifierTest, HtmlPageIsNotClaimed) {
    send(Direction::client_to_server, request("GET", "/about.html", "www.example.org", "", ""));
    EXPECT_EQ(send(Direction::server_to_client,
                   response("text/html", "<!doctype html><html>" + std::string(20000, 'x'))),
              Progress::done);
    EXPECT_EQ(verdict_.confidence, Confidence::none);
    EXPECT_EQ(requests(0, HttpMethod::get), 1u);
}

TEST_F(HttpClassifierTest, ChunkedJsonBodyIsInspected) {
    std::string bytes =
        "POST /v1/history HTTP/1.1\r\nHost: api.tumeapp.com\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (size_t at = 0; at < kHistoryBody.size(); at += 10) {
        const std::string piece = kHistoryBody.substr(at, 10);
        char size[8];
        std::snprintf(size, sizeof size, "%zx", piece.size());
        bytes += std::string(size) + "\r\n" + piece + "\r\n";
    }
    bytes += "0\r\n\r\n";
    send(Direction::client_to_server, bytes, 5);
    EXPECT_EQ(verdict_.app, provisioning_);
    conclude();
}

TEST_F(HttpClassifierTest, PipelinedRequestsAreAllCounted) {
    const std::string bytes =
        request("POST", "/v1/history", "api.tumeapp.com", "application/json", kHistoryBody) +
        request("GET", "/v1/profile", "api.tumeapp.com", "", "") +
        request("GET", "/v1/contacts", "api.tumeapp.com", "", "") +
        request("PROPFIND", "/dav", "api.tumeapp.com", "", "");
    send(Direction::client_to_server, bytes, 50);
    send(Direction::server_to_client, response("application/json", "{}"));
    EXPECT_EQ(state_, nullptr);
    EXPECT_EQ(requests(provisioning_, HttpMethod::post), 1u);
    EXPECT_EQ(requests(provisioning_, HttpMethod::get), 2u);
    EXPECT_EQ(requests(provisioning_, HttpMethod::other), 1u);
}

TEST_F(HttpClassifierTest, TlsStreamIsGivenUpOnAtItsFirstBytes) {
    const std::string client_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    EXPECT_EQ(send(Direction::client_to_server, client_hello), Progress::done);
    EXPECT_EQ(state_, nullptr);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::not_http).read(), 1u);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::parse_error).read(), 0u);
}

TEST_F(HttpClassifierTest, ServerSpeakingFirstIsNotHttp) {
    EXPECT_EQ(send(Direction::server_to_client, "220 smtp.example.org ESMTP\r\n"), Progress::done);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::not_http).read(), 1u);
}

TEST_F(HttpClassifierTest, HostileHeadersAreACountedParseFailure) {
    std::string bytes = "POST /v1/history HTTP/1.1\r\nHost: api.tumeapp.com\r\n";
    bytes += "X-Bad\x01Header: 1\r\n\r\n";
    EXPECT_EQ(send(Direction::client_to_server, bytes), Progress::done);
    EXPECT_EQ(state_, nullptr);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::parse_error).read(), 1u);
}

TEST_F(HttpClassifierTest, BodyCutByTheFlowEndStillGivesItsShape) {
    const std::string full =
        request("POST", "/v1/history", "api.tumeapp.com", "application/json", kHistoryBody);
    send(Direction::client_to_server, full.substr(0, full.size() - kHistoryBody.size() + 20));
    EXPECT_NE(verdict_.app, provisioning_);
    conclude();
    EXPECT_EQ(verdict_.app, provisioning_);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::json_truncated).read(), 1u);
}

TEST_F(HttpClassifierTest, FlowSeenFromItsMiddleIsParsedFromTheNextRequest) {
    // The tail of an earlier answer first, then a whole request.
    streams_[1] = "ContactOne\"}]}";
    EXPECT_EQ(feed(Direction::server_to_client, 0, stream_flag::midstream), Progress::need_more);
    EXPECT_EQ(state_, nullptr);
    streams_[0] =
        request("POST", "/v1/history", "api.tumeapp.com", "application/json", kHistoryBody);
    feed(Direction::client_to_server, 0, stream_flag::midstream);
    EXPECT_EQ(verdict_.app, provisioning_);
    streams_[1] += "more of the old answer";
    EXPECT_EQ(feed(Direction::server_to_client, 14, stream_flag::midstream), Progress::done);
    EXPECT_EQ(counters_.streams(HttpStreamOutcome::parse_error).read(), 0u);
    EXPECT_EQ(requests(provisioning_, HttpMethod::post), 1u);
}

TEST_F(HttpClassifierTest, UdpIsDeclinedWithoutState) {
    PacketView view;
    view.ip_protocol = 17;
    view.stream_flags = stream_flag::unavailable;
    EXPECT_EQ(classifier_.inspect(state_, view, verdict_), Progress::done);
    EXPECT_EQ(state_, nullptr);
}

}  // namespace
}  // namespace ottscope
