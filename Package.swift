// swift-tools-version:6.0
import PackageDescription

let cxx: [CXXSetting] = [.unsafeFlags(["-O3"], .when(configuration: .release))]
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "llmdata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "llmdata", targets: ["llmdata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C shims over system libraries. ICU headers stay private to CICUShim (see docs/design-notes.md).
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CXXHash", path: "Sources/CXXHash"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy"),
        .target(
            name: "CICUShim",
            path: "Sources/CICUShim",
            cxxSettings: cxx,
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n"), .linkedLibrary("icudata")]
        ),
        .target(name: "CTextKernels", path: "Sources/CTextKernels", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(
            name: "CSimdjsonShim",
            path: "Sources/CSimdjsonShim",
            cxxSettings: cxx,
            linkerSettings: [.linkedLibrary("simdjson")]
        ),

        // Core: records, readers/writers, the stage protocol, stats, the parallel executor, errors.
        .target(name: "LLMDataCore", dependencies: ["CZstd", "CZlib", "CCrypto", "CSimdjsonShim", "CTextKernels", "LLMDataParquet"], swiftSettings: fast),
        // Parquet files as records (docs/parquet.md): thrift metadata, pages, record assembly. Built
        // with bounds checks on (no -Ounchecked): it parses untrusted binary input.
        .target(name: "LLMDataParquet", dependencies: ["CSnappy", "CZstd", "CZlib", "CTextKernels"]),

        // One library per stage.
        .target(name: "LLMDataNormalize", dependencies: ["LLMDataCore", "CICUShim", "CTextKernels"], swiftSettings: fast),
        .target(name: "CPCRE2Shim", path: "Sources/CPCRE2Shim", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))], linkerSettings: [.linkedLibrary("pcre2-8")]),
        .target(name: "LLMDataBPETraining", dependencies: ["LLMDataCore", "CPCRE2Shim"], swiftSettings: fast),

        .target(name: "LLMDataBPEEncoding", dependencies: ["LLMDataCore", "LLMDataBPETraining", "CICUShim", "CSimdjsonShim"], swiftSettings: fast),
        .target(name: "LLMDataTokenizeStage", dependencies: ["LLMDataCore", "LLMDataBPEEncoding", "LLMDataShards"], swiftSettings: fast),
        .target(name: "LLMDataShards", dependencies: ["LLMDataCore", "CZstd", "CCrypto"], swiftSettings: fast),

        .target(name: "LLMDataDedup", dependencies: ["LLMDataCore", "CICUShim", "CXXHash", "CTextKernels"], swiftSettings: fast),

        .target(name: "CLangIDKernels", path: "Sources/CLangIDKernels", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(name: "LLMDataLangID", dependencies: ["LLMDataCore", "CICUShim", "CLangIDKernels", "LLMDataPresets"], swiftSettings: fast),

        // FineWeb-2's per-language configurations (models/fineweb2) for `filter --preset fineweb2`
        // and `langid --min-score-preset fineweb2`.
        .target(name: "LLMDataPresets", dependencies: ["LLMDataCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "LLMDataFilter", dependencies: ["LLMDataCore", "CICUShim", "LLMDataPresets", "CPCRE2Shim"], swiftSettings: fast),

        // `llmdata run`: a recipe's stages as one resumable run with provenance.
        .target(name: "LLMDataRun", dependencies: ["LLMDataCore", "LLMDataDedup", "LLMDataShards", "LLMDataTokenizeStage"], swiftSettings: fast),

        // `llmdata report`: an HTML page about a run directory or a directory of stats files.
        .target(name: "LLMDataReport", dependencies: ["LLMDataCore"]),

        // The thin CLI.
        .executableTarget(
            name: "llmdata",
            dependencies: [
                "LLMDataCore", "LLMDataNormalize", "LLMDataDedup", "LLMDataShards", "LLMDataBPEEncoding", "LLMDataTokenizeStage", "LLMDataBPETraining", "LLMDataLangID", "LLMDataFilter", "LLMDataRun", "LLMDataReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        .testTarget(name: "LLMDataCoreTests", dependencies: ["LLMDataCore"]),
        .testTarget(name: "CLITests", dependencies: ["LLMDataCore"]),
        .testTarget(name: "LLMDataBPETests", dependencies: ["LLMDataBPETraining", "LLMDataCore", "LLMDataBPEEncoding"]),
        .testTarget(name: "LLMDataLangIDTests", dependencies: ["LLMDataLangID", "LLMDataCore"]),
        .testTarget(name: "LLMDataDedupTests", dependencies: ["LLMDataDedup"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)

// libFuzzer harnesses (docs/fuzzing.md, `make fuzz`): only when LLMDATA_FUZZ is set (scripts/fuzz.sh
// sets it and builds in its own --build-path), so `swift build`, the `llmdata` product and
// `swift test` never see them. `llmdata-fuzz` needs -sanitize=fuzzer (libFuzzer supplies main);
// `llmdata-fuzz-replay` runs the harnesses once over given files in a plain build (`make test`).
if Context.environment["LLMDATA_FUZZ"] != nil {
    package.targets += [
        .target(name: "FuzzHarnesses", dependencies: ["LLMDataCore", "LLMDataParquet", "LLMDataBPETraining", "LLMDataBPEEncoding", "LLMDataShards"],
                path: "Sources/FuzzHarnesses"),
        .executableTarget(name: "llmdata-fuzz", dependencies: ["FuzzHarnesses"], path: "Sources/FuzzLLMData"),
        .executableTarget(name: "llmdata-fuzz-replay", dependencies: ["FuzzHarnesses"], path: "Sources/FuzzReplay"),
    ]
}
