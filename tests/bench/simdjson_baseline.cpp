/* simdjson_baseline.cpp: the parse-only reference of make bench-lambda.
 *
 * Reads a connector batch with simdjson On-Demand (Debian's libsimdjson-dev),
 * extracting what the handler reads from every record: topic, partition,
 * offset, timestamp, key, the four features and the species.  A value may be
 * an object, a string of escaped JSON of one, or a Map.toString() string
 * ("{sepalLength=5.1, ..., species=setosa}").  Nothing is scored, evaluated
 * or formatted: this is the time the best parser needs just to read the same
 * bytes, timed in process on a buffer already in memory.
 *
 * Usage: simdjson_baseline EVENT_FILE ITERATIONS
 * Prints one JSON line on stderr:
 *   {"records":N,"labelled":L,"iterations":I,"median_ms":..,"min_ms":..,
 *    "median_cpu_ms":..,"checksum":..}
 * (median_cpu_ms: the thread's CPU time per parse, which a loaded machine
 * inflates less than the wall time)
 * For the benchmark only: the bootstrap never links simdjson. */
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <vector>

using namespace simdjson;

namespace
{

struct record {
    std::string_view topic;
    int64_t partition = -1, offset = -1, timestamp = -1;
    bool has_key = false;
    double features[4] = {0, 0, 0, 0};
    int species = -1; /* index in kSpecies, -1 when unlabelled */
};

const std::string_view kSpecies[] = {"setosa", "versicolor", "virginica"};
const std::string_view kFeatures[][3] = {{"sepalLength", "sepal_length", "SEPAL_LENGTH"},
                                         {"sepalWidth", "sepal_width", "SEPAL_WIDTH"},
                                         {"petalLength", "petal_length", "PETAL_LENGTH"},
                                         {"petalWidth", "petal_width", "PETAL_WIDTH"}};

int feature_index(std::string_view k)
{
    for (int j = 0; j < 4; j++)
        for (std::string_view name : kFeatures[j])
            if (k == name)
                return j;
    return -1;
}

int species_index(std::string_view s)
{
    if (s.size() > 5 && (s[0] == 'I' || s[0] == 'i') && s.substr(1, 4) == "ris-")
        s.remove_prefix(5);
    for (int k = 0; k < 3; k++)
        if (s.size() == kSpecies[k].size() &&
            std::equal(s.begin(), s.end(), kSpecies[k].begin(),
                       [](char a, char b) { return (a | 0x20) == b; }))
            return k;
    return -1;
}

/* An iris object: the four features and the species, other keys skipped. */
error_code read_iris(ondemand::object obj, record &r)
{
    for (auto field : obj) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key))
            return e;
        int j = feature_index(key);
        if (j >= 0) {
            if (auto e = field.value().get_double().get(r.features[j]))
                return e;
        } else if (key == "species" || key == "SPECIES") {
            ondemand::value v = field.value();
            if (v.is_null())
                continue;
            std::string_view s;
            if (auto e = v.get_string().get(s))
                return e;
            r.species = species_index(s);
        }
    }
    return SUCCESS;
}

/* "{sepalLength=5.1, sepalWidth=3.5, ..., species=setosa}" */
error_code read_map_string(std::string_view s, record &r)
{
    if (s.size() < 2 || s.front() != '{' || s.back() != '}')
        return TAPE_ERROR;
    s = s.substr(1, s.size() - 2);
    while (!s.empty()) {
        size_t comma = s.find(','), eq = s.find('=');
        std::string_view item = s.substr(0, comma);
        s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
        if (eq == std::string_view::npos || eq > item.size())
            return TAPE_ERROR;
        std::string_view key = item.substr(0, eq), val = item.substr(eq + 1);
        while (!key.empty() && key.front() == ' ')
            key.remove_prefix(1);
        int j = feature_index(key);
        if (j >= 0)
            r.features[j] = std::strtod(std::string(val).c_str(), nullptr);
        else if (key == "species")
            r.species = species_index(val);
    }
    return SUCCESS;
}

struct reader {
    ondemand::parser outer, inner;
    std::vector<char> padded; /* a string value's text, with simdjson's padding */
    std::vector<record> records;

    error_code string_value(std::string_view s, record &r)
    {
        if (s.empty() || s.front() != '{')
            return TAPE_ERROR;
        if (s.find('=') != std::string_view::npos && s.find('"') == std::string_view::npos)
            return read_map_string(s, r);
        if (padded.size() < s.size() + SIMDJSON_PADDING)
            padded.resize(s.size() + SIMDJSON_PADDING);
        std::copy(s.begin(), s.end(), padded.begin());
        ondemand::document doc;
        if (auto e = inner.iterate(padded.data(), s.size(), padded.size()).get(doc))
            return e;
        ondemand::object obj;
        if (auto e = doc.get_object().get(obj))
            return e;
        return read_iris(obj, r);
    }

    error_code payload(ondemand::object obj, record &r)
    {
        for (auto field : obj) {
            std::string_view key;
            if (auto e = field.unescaped_key().get(key))
                return e;
            ondemand::value v = field.value();
            if (key == "topic") {
                if (auto e = v.get_string().get(r.topic))
                    return e;
            } else if (key == "partition") {
                if (auto e = v.get_int64().get(r.partition))
                    return e;
            } else if (key == "offset") {
                if (auto e = v.get_int64().get(r.offset))
                    return e;
            } else if (key == "timestamp") {
                if (auto e = v.get_int64().get(r.timestamp))
                    return e;
            } else if (key == "key") {
                r.has_key = !v.is_null();
            } else if (key == "value") {
                ondemand::json_type t;
                if (auto e = v.type().get(t))
                    return e;
                if (t == ondemand::json_type::string) {
                    std::string_view s;
                    if (auto e = v.get_string().get(s))
                        return e;
                    if (auto e = string_value(s, r))
                        return e;
                } else {
                    ondemand::object value;
                    if (auto e = v.get_object().get(value))
                        return e;
                    if (auto e = read_iris(value, r))
                        return e;
                }
            }
        }
        return SUCCESS;
    }

    error_code batch(const padded_string &event)
    {
        records.clear();
        ondemand::document doc;
        if (auto e = outer.iterate(event).get(doc))
            return e;
        ondemand::array arr;
        if (auto e = doc.get_array().get(arr))
            return e;
        for (auto element : arr) {
            ondemand::object obj;
            if (auto e = element.get_object().get(obj))
                return e;
            records.emplace_back();
            for (auto field : obj) {
                std::string_view key;
                if (auto e = field.unescaped_key().get(key))
                    return e;
                if (key != "payload")
                    continue;
                ondemand::object p;
                if (auto e = field.value().get_object().get(p))
                    return e;
                if (auto e = payload(p, records.back()))
                    return e;
            }
        }
        return SUCCESS;
    }
};

} // namespace

static double thread_cpu_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s EVENT_FILE ITERATIONS\n", argv[0]);
        return 2;
    }
    padded_string event;
    if (auto e = padded_string::load(argv[1]).get(event)) {
        std::fprintf(stderr, "%s: %s\n", argv[1], error_message(e));
        return 1;
    }
    int iters = std::atoi(argv[2]);
    if (iters < 1)
        return 2;
    reader rd;
    std::vector<double> t, cpu;
    double checksum = 0;
    size_t labelled = 0;
    for (int i = 0; i < iters; i++) {
        auto t0 = std::chrono::steady_clock::now();
        double c0 = thread_cpu_ms();
        if (auto e = rd.batch(event)) {
            std::fprintf(stderr, "%s: simdjson: %s\n", argv[1], error_message(e));
            return 1;
        }
        t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count());
        cpu.push_back(thread_cpu_ms() - c0);
        if (i == 0) {
            /* Proof that every field was read (and a use the optimiser
             * cannot drop). */
            for (const record &r : rd.records) {
                checksum += r.features[0] + r.features[1] + r.features[2] + r.features[3] +
                            (double)(r.offset + r.partition + r.timestamp % 1000 + r.topic.size());
                labelled += r.species >= 0;
            }
        }
    }
    std::sort(t.begin(), t.end());
    std::sort(cpu.begin(), cpu.end());
    std::fprintf(stderr,
                 "{\"records\":%zu,\"labelled\":%zu,\"iterations\":%d,\"median_ms\":%.4f,"
                 "\"min_ms\":%.4f,\"median_cpu_ms\":%.4f,\"checksum\":%.3f}\n",
                 rd.records.size(), labelled, iters, t[t.size() / 2], t[0], cpu[cpu.size() / 2],
                 checksum);
    return 0;
}
