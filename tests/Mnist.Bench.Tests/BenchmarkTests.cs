using System.Text.Json;
using Mnist.Core.Model;
using Mnist.Testing;

namespace Mnist.Bench.Tests;

public sealed class BenchmarkTests
{
    private static readonly string[] Keys =
    [
        "train_img_per_s", "train_img_per_s_no_augment", "plain_loop_img_per_s", "train_ratio_vs_plain", "augment_share",
        "train_img_per_s_extended_augment", "extended_augment_step_ratio", "extended_augment_extra_share",
        "infer_latency_p50_ms", "infer_latency_p99_ms", "infer_img_per_s_batch1000", "peak_fraction_train",
        "onnx_infer_latency_p50_ms", "onnx_infer_latency_p99_ms", "onnx_infer_img_per_s_batch1000",
    ];

    [Fact]
    [Trait("Category", "Slow")]
    public void The_speed_benchmark_runs_end_to_end_on_a_tiny_budget_and_writes_every_key()
    {
        using var dir = new TempDir();
        var json = dir.File("bench.json");
        var markdown = dir.File("bench.md");
        var log = new StringWriter();
        Assert.True(HttpLoad.FindWrk() is not null, "wrk is missing: install Debian's wrk (apt-get install -y wrk), as .ci/run does");

        var code = BenchApp.RunSpeed(log, TestData.MnistDir, json, markdown, quick: true, http: true, threads: null, seed: 1, []);

        Assert.Equal(0, code);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        foreach (var key in Keys)
        {
            Assert.True(root.TryGetProperty(key, out var value), $"missing {key}");
            Assert.True(value.GetDouble() > 0, $"{key} = {value}");
        }
        Assert.Equal(1, root.GetProperty("test_accuracy_per_epoch_for_99_0").GetArrayLength());
        Assert.True(root.GetProperty("http_rps").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("http_errors").GetInt64());
        Assert.Contains("train_ratio_vs_plain", File.ReadAllText(markdown), StringComparison.Ordinal);
        Assert.Contains("onnx_infer_img_per_s_batch1000", File.ReadAllText(markdown), StringComparison.Ordinal);
        Assert.StartsWith("1.31", root.GetProperty("onnx_runtime_version").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void The_plain_loop_trains_the_same_network_as_the_product_built_from_TorchSharp_modules()
    {
        using var plain = SpeedBenchmark.PlainSeedModel();
        using var ours = Mnist.Core.Model.ModelBuilder.Build(Mnist.Core.Model.ModelConfig.Seed);

        var shapes = (TorchSharp.torch.nn.Module m) => m.parameters().Select(p => string.Join('x', p.shape)).ToArray();

        Assert.Equal(shapes(ours), shapes(plain));
        Assert.Equal(825_162, plain.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void The_seed_model_costs_9_3_million_flops_forward()
    {
        // conv 28x28x32x9 + conv 14x14x64x288 + dense 3136x256 + dense 256x10 multiply-adds, times 2.
        const double expected = 2.0 * (28 * 28 * 32 * 9 + 14 * 14 * 64 * 288 + 3136 * 256 + 256 * 10);

        Assert.Equal(expected, Machine.ForwardFlops(ModelConfig.Seed));
    }

    [Fact]
    public void The_machine_peak_is_cores_times_flops_per_cycle_times_frequency()
    {
        var machine = new Machine("test", 2, 2.5, 32);

        Assert.Equal(160e9, machine.PeakFlops, 1);
    }

    [Fact]
    public void Given_a_page_with_the_generated_markers_When_the_table_is_spliced_in_Then_only_the_part_between_them_changes()
    {
        var page = $"# Speed\n\nprose before\n\n{SpeedReport.BeginMarker}\nold table\n{SpeedReport.EndMarker}\n\nprose after\n";

        var spliced = SpeedReport.Splice(page, "new table\n");

        Assert.Equal($"# Speed\n\nprose before\n\n{SpeedReport.BeginMarker}\nnew table\n{SpeedReport.EndMarker}\n\nprose after\n", spliced);
    }

    [Fact]
    public void Given_no_page_or_one_without_markers_When_the_table_is_spliced_in_Then_the_file_is_the_marked_table_alone()
    {
        var expected = $"{SpeedReport.BeginMarker}\nnew table\n{SpeedReport.EndMarker}\n";

        Assert.Equal(expected, SpeedReport.Splice(null, "new table\n"));
        Assert.Equal(expected, SpeedReport.Splice("some other text\n", "new table"));
    }

    [Theory]
    [InlineData("AuthenticAMD", 23, 1, false, 16)]   // Zen 1 (EPYC 7001): AVX2 on two 128-bit pipes
    [InlineData("AuthenticAMD", 23, 0x18, false, 16)] // Zen+
    [InlineData("AuthenticAMD", 23, 0x31, false, 32)] // Zen 2 (EPYC 7002): 256-bit pipes
    [InlineData("AuthenticAMD", 25, 1, true, 32)]     // Zen 4: AVX-512 on 256-bit pipes
    [InlineData("AuthenticAMD", 25, 1, false, 32)]    // Zen 3: AVX2
    [InlineData("AuthenticAMD", 26, 2, true, 64)]     // Zen 5: full 512-bit pipes
    [InlineData("GenuineIntel", 6, 85, true, 64)]     // Xeon with two AVX-512 FMA units
    [InlineData("GenuineIntel", 6, 85, false, 32)]    // AVX2
    public void Flops_per_cycle_follow_the_cores_FMA_pipes_and_their_width(string vendor, int family, int model, bool avx512, int expected)
    {
        Assert.Equal(expected, Machine.FlopsPerCycle(vendor, family, model, avx512, avx2: true, fma: true));
    }

    [Fact]
    public void Percentiles_are_taken_from_the_sorted_sample()
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

        Assert.Equal((50.0, 99.0, 100.0), (SpeedBenchmark.Percentile(sorted, 0.5), SpeedBenchmark.Percentile(sorted, 0.99), SpeedBenchmark.Percentile(sorted, 1)));
    }
}
