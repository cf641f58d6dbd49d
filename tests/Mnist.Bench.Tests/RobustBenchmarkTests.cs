using System.CommandLine;
using System.Text.Json;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Inference;
using Mnist.Core.Jobs;
using Mnist.Core.Model;
using Mnist.Core.Training;
using Mnist.Testing;

namespace Mnist.Bench.Tests;

public sealed class RobustBenchmarkTests
{
    private static LabeledImages Sample(int count, int seed = 42) => RobustBenchmark.Source(TestData.Mnist, EvaluationSplit.Test, count, seed);

    private static float[] Grey(LabeledImages images, int index) => [.. images.Image(index).ToArray().Select(b => b / 255f)];

    private static float[] PaddedDigit(int index = 0) =>
        Distortions.Pad(Grey(TestData.Mnist.Test, index), 28, 28, RobustBenchmark.Margin);

    private const int Side = 28 + 2 * RobustBenchmark.Margin;

    [Fact]
    public void Every_image_set_without_the_fonts_is_the_same_image_for_image_when_built_again_with_the_same_seed()
    {
        var first = RobustBenchmark.Sets(Sample(12), "test", seed: 7, fonts: []);
        var second = RobustBenchmark.Sets(Sample(12), "test", seed: 7, fonts: []);

        Assert.Equal(first.Select(s => s.Name), second.Select(s => s.Name));
        for (var s = 0; s < first.Count; s++)
        {
            var a = first[s].Images().ToList();
            var b = second[s].Images().ToList();
            Assert.True(a.Count > 0, first[s].Name);
            Assert.Equal(a.Count, b.Count);
            for (var i = 0; i < a.Count; i++)
            {
                Assert.True(a[i].Ink.AsSpan().SequenceEqual(b[i].Ink), $"{first[s].Name}, image {i}");
                Assert.Equal((a[i].Width, a[i].Height, a[i].Label), (b[i].Width, b[i].Height, b[i].Label));
            }
        }
    }

    [Fact]
    public void A_set_enumerated_twice_gives_the_same_images_and_another_seed_gives_other_ones()
    {
        static ImageSet Elastic(int seed) => RobustBenchmark.Sets(Sample(8), "test", seed, fonts: []).Single(s => s.Name.Contains("α=34", StringComparison.Ordinal));
        var set = Elastic(1);

        var once = set.Images().Select(i => i.Ink).ToList();
        var twice = set.Images().Select(i => i.Ink).ToList();
        var other = Elastic(2).Images().Select(i => i.Ink).ToList();

        Assert.All(once.Zip(twice), p => Assert.Equal(p.First, p.Second));
        Assert.Contains(once.Zip(other), p => !p.First.AsSpan().SequenceEqual(p.Second));
    }

    [Fact]
    public void The_MNIST_images_of_the_rows_are_a_seeded_sample_of_the_chosen_split_the_same_for_each_seed()
    {
        var a = Sample(50, seed: 3);
        var b = Sample(50, seed: 3);
        var c = Sample(50, seed: 4);

        Assert.Equal(50, a.Count);
        Assert.Equal(a.Pixels, b.Pixels);
        Assert.NotEqual(a.Pixels, c.Pixels);
        Assert.Equal(TestData.Mnist.Test.Count, RobustBenchmark.Source(TestData.Mnist, EvaluationSplit.Test, 1_000_000, 1).Count);
    }

    [Fact]
    public void Given_the_validation_split_the_MNIST_rows_come_from_the_images_a_default_run_holds_out_from_training()
    {
        var (train, heldOut) = TrainingData.Split(TestData.Mnist.Train, new TrainingOptions());
        static string Key(LabeledImages images, int i) => Convert.ToBase64String(images.Image(i)) + images.Labels[i];
        var heldOutKeys = Enumerable.Range(0, heldOut.Count).Select(i => Key(heldOut, i)).ToHashSet();

        var all = RobustBenchmark.Source(TestData.Mnist, EvaluationSplit.Validation, 1_000_000, seed: 42);
        var sample = RobustBenchmark.Source(TestData.Mnist, EvaluationSplit.Validation, 200, seed: 42);

        Assert.Equal(6000, heldOut.Count);
        Assert.Equal(54_000, train.Count);
        Assert.Equal(heldOut.Count, all.Count);
        Assert.All(Enumerable.Range(0, sample.Count), i => Assert.Contains(Key(sample, i), heldOutKeys));
    }

    [Fact]
    public void Given_the_validation_split_and_a_model_trained_on_part_of_the_file_the_rows_come_from_what_that_run_held_out()
    {
        var options = new TrainingOptions { TrainLimit = 5000, Seed = 3 };
        var (_, heldOut) = TrainingData.Split(TestData.Mnist.Train, options);
        static string Key(LabeledImages images, int i) => Convert.ToBase64String(images.Image(i)) + images.Labels[i];
        var heldOutKeys = Enumerable.Range(0, heldOut.Count).Select(i => Key(heldOut, i)).ToHashSet();

        var all = RobustBenchmark.Source(TestData.Mnist, EvaluationSplit.Validation, 1_000_000, seed: 42, options);

        Assert.Equal(500, all.Count);
        Assert.All(Enumerable.Range(0, all.Count), i => Assert.Contains(Key(all, i), heldOutKeys));
        Assert.Contains("the validation split of the training file: the 0.1 of the first 5000 training images that a run with seed 3 holds out (the model's own options)", RobustBenchmark.Describe(EvaluationSplit.Validation, SeedModelFile.Manifest() with { Training = options }), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_font_is_installed_and_draws_visible_ink_for_every_digit_at_every_size_and_pen_the_same_each_time()
    {
        var missing = FontDigits.Missing(FontDigits.Fonts);
        Assert.True(missing.Count == 0, $"fonts missing: apt-get install -y {string.Join(' ', missing.Select(f => f.Package).Distinct())} (as .ci/run does)");
        var perFont = 10 * DrawnDigits.Placements.Count * FontDigits.Pens.Count;

        foreach (var font in FontDigits.Fonts)
        {
            var images = FontDigits.Digits(font).ToList();
            if (font == FontDigits.Fonts[0]) Assert.Equal(images.Select(i => i.Ink), FontDigits.Digits(font).Select(i => i.Ink)); // drawn alike each time

            Assert.Equal(perFont, images.Count);
            Assert.All(Enumerable.Range(0, 10), d => Assert.Equal(perFont / 10, images.Count(i => i.Label == d)));
            foreach (var image in images)
            {
                Assert.True(image.Ink.Count(v => v > 0.5f) >= 20, $"{font.Name}: the {image.Label} has almost no ink");
                var input = ImagePreprocessor.FromInk(image.Ink, image.Width, image.Height);
                Assert.True(input.Max() > 0.9f, $"{font.Name}: the {image.Label} reaches the model faint");
            }
        }
    }

    [Fact]
    public void A_thicker_pen_puts_more_ink_on_the_pad_and_the_digit_stays_inside_its_box()
    {
        using var typeface = SkiaSharp.SKTypeface.FromFile(FontDigits.Fonts[0].File);
        Assert.NotNull(typeface);

        float Ink(double pen) => ImagePreprocessor.DecodeToInk(FontDigits.RenderPng(typeface, 8, 140, pen, 20, 20, 100), ImageLimits.Default).Ink.Sum();
        var (thin, thick) = (Ink(0), Ink(8));
        var (ink, w, _) = ImagePreprocessor.DecodeToInk(FontDigits.RenderPng(typeface, 8, 140, 8, 20, 20, 100), ImageLimits.Default);

        Assert.True(thick > thin * 1.3, $"{thin} -> {thick}");
        Assert.All(Enumerable.Range(0, ink.Length).Where(i => ink[i] > 0.05f), i =>
        {
            Assert.InRange(i % w, 19, 121);
            Assert.InRange(i / w, 19, 121);
        });
    }

    [Fact]
    public void The_distortions_at_zero_strength_give_the_original_image()
    {
        var image = PaddedDigit();

        Assert.Equal(image, Distortions.Elastic(image, Side, Side, alpha: 0, sigma: 4, new Random(1)));
        Assert.Equal(image, Distortions.Slant(image, Side, Side, degrees: 0));
        Assert.Equal(image, Distortions.Morph(image, Side, Side, pixels: 0));
    }

    [Fact]
    public void Padding_puts_the_image_in_the_middle_of_a_larger_empty_field()
    {
        var padded = Distortions.Pad(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2, 1);

        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0 }, padded);
    }

    [Fact]
    public void Dilation_thickens_and_erosion_thins_a_stroke_by_one_pixel_each_side()
    {
        // A vertical bar three pixels wide in a 9x9 field.
        var bar = new float[81];
        for (var y = 2; y < 7; y++) for (var x = 3; x < 6; x++) bar[y * 9 + x] = 1;

        static int Width(float[] image) => Enumerable.Range(0, 9).Count(x => image[4 * 9 + x] > 0);

        Assert.Equal(5, Width(Distortions.Morph(bar, 9, 9, 1)));
        Assert.Equal(1, Width(Distortions.Morph(bar, 9, 9, -1)));
        Assert.True(Distortions.Morph(PaddedDigit(), Side, Side, 1).Sum() > PaddedDigit().Sum());
        Assert.True(Distortions.Morph(PaddedDigit(), Side, Side, -1).Sum() < PaddedDigit().Sum());
    }

    [Fact]
    public void A_positive_slant_leans_the_top_to_the_right_and_the_bottom_to_the_left()
    {
        var image = new float[21 * 21];
        for (var y = 0; y < 21; y++) image[y * 21 + 10] = 1; // a vertical line through the middle column

        var slanted = Distortions.Slant(image, 21, 21, 20);
        static double CentreOfRow(float[] im, int y) => Enumerable.Range(0, 21).Sum(x => x * im[y * 21 + x]) / Enumerable.Range(0, 21).Sum(x => im[y * 21 + x]);

        Assert.Equal(10 + 10 * Math.Tan(20 * Math.PI / 180), CentreOfRow(slanted, 0), 3);
        Assert.Equal(10, CentreOfRow(slanted, 10), 6);
        Assert.Equal(10 - 10 * Math.Tan(20 * Math.PI / 180), CentreOfRow(slanted, 20), 3);
    }

    [Fact]
    public void An_elastic_distortion_moves_the_ink_by_about_a_pixel_or_two_and_keeps_most_of_it()
    {
        var image = PaddedDigit();

        var distorted = Distortions.Elastic(image, Side, Side, alpha: 34, sigma: 4, new Random(5));
        var moved = image.Zip(distorted).Sum(p => Math.Abs(p.First - p.Second));

        Assert.InRange(distorted.Sum() / image.Sum(), 0.8, 1.2);
        Assert.True(moved > 0.1 * image.Sum(), $"moved {moved} of {image.Sum()}");
    }

    private static PreparedSet Made(params int[] labels) =>
        new("made up", [.. labels.Select(l => new float[] { l })], labels, Refused: 0, Reference: false);

    [Fact]
    public void With_a_predictor_that_always_answers_the_true_label_the_accuracy_is_one()
    {
        var labels = Enumerable.Range(0, 2500).Select(i => i * 7 % 10).ToArray(); // more than one batch
        var set = Made(labels);
        var truth = new Dictionary<float[], int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < labels.Length; i++) truth[set.Inputs[i]] = labels[i];
        var calls = 0;

        var row = RobustBenchmark.Score(inputs => { calls++; return [.. inputs.Select(x => truth[x])]; }, set);

        Assert.Equal((2500, 2500, 1.0), (row.Images, row.Correct, row.Accuracy));
        Assert.Equal(3, calls);
    }

    [Fact]
    public void With_a_predictor_that_always_answers_zero_the_accuracy_is_the_share_of_zeros()
    {
        var set = Made(0, 1, 2, 0, 3, 4, 0, 5);

        var row = RobustBenchmark.Score(inputs => new int[inputs.Count], set);

        Assert.Equal(3.0 / 8, row.Accuracy);
    }

    [Fact]
    public void An_image_the_preprocessing_refuses_for_want_of_ink_counts_as_read_wrong()
    {
        var digit = new LabeledInk(PaddedDigit(), Side, Side, TestData.Mnist.Test.Labels[0]);
        var blank = new LabeledInk(new float[Side * Side], Side, Side, 3);

        var prepared = RobustBenchmark.Prepare(new ImageSet("one blank", () => [digit, blank]));
        var row = RobustBenchmark.Score(inputs => [.. inputs.Select(_ => (int)TestData.Mnist.Test.Labels[0])], prepared);

        Assert.Equal((1, 2, 1, 0.5), (prepared.Refused, row.Images, row.Refused, row.Accuracy));
    }

    [Fact]
    public void Every_image_reaches_the_predict_function_as_the_pages_28x28_model_input()
    {
        var set = RobustBenchmark.Sets(Sample(5), "test", 1, fonts: []).First(s => s.Name.Contains("slanted", StringComparison.Ordinal));
        var seen = new List<float[]>();

        RobustBenchmark.Score(inputs => { seen.AddRange(inputs); return new int[inputs.Count]; }, RobustBenchmark.Prepare(set));

        var expected = set.Images().Select(i => ImagePreprocessor.FromInk(i.Ink, i.Width, i.Height)).ToList();
        Assert.Equal(5, seen.Count);
        Assert.All(seen.Zip(expected), p => Assert.Equal(p.Second, p.First));
        Assert.All(seen, x => Assert.Equal(ImagePreprocessor.Size * ImagePreprocessor.Size, x.Length));
    }

    [Fact]
    public void The_table_says_the_test_time_variants_and_the_latency_of_one_drawn_digit_through_the_web_api()
    {
        var report = new RobustReport("c", "m", "model.ckpt", "torch", "test", "the test images", 10, 42,
            [new RobustRow("easy", 10, 9, 0, Reference: false)], TestTimeVariants: 4, Latency: new WebLatencyResult(300, 1.234, 2.5));

        var table = RobustBenchmark.ToMarkdown(report);

        Assert.Contains("(torch, test-time variants 4)", table, StringComparison.Ordinal);
        Assert.Contains("p50 1.23 ms, p99 2.50 ms (300 requests", table, StringComparison.Ordinal);
        Assert.Contains("one thread for the forward passes, as `mnist serve`)", table, StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_says_how_many_threads_served_the_timed_digit_when_more_than_one()
    {
        var report = new RobustReport("c", "m", "model.ckpt", "onnx", "test", "the test images", 10, 42,
            [new RobustRow("easy", 10, 9, 0, Reference: false)], Latency: new WebLatencyResult(300, 3.5, 7.8, Threads: 2));

        var table = RobustBenchmark.ToMarkdown(report);

        Assert.Contains("2 threads for the forward passes, as `mnist serve --threads 2`)", table, StringComparison.Ordinal);
    }

    [Fact]
    public void The_minimum_is_over_the_rows_that_are_not_references_and_the_table_names_it_with_the_command_and_machine()
    {
        var report = new RobustReport("the command", "the machine", "model.ckpt", "torch", "validation", "the held-out images", 10, 42,
        [
            new RobustRow("as they come", 10, 2, 0, Reference: true),
            new RobustRow("hard", 10, 5, 1, Reference: false),
            new RobustRow("easy", 10, 9, 0, Reference: false),
        ]);

        var table = RobustBenchmark.ToMarkdown(report);
        var json = JsonDocument.Parse(Mnist.Core.Infrastructure.Json.Serialize(report)).RootElement;

        Assert.Equal("hard", report.Minimum?.Name);
        Assert.Contains("`the command`", table, StringComparison.Ordinal);
        Assert.Contains("the machine", table, StringComparison.Ordinal);
        Assert.Contains("| hard | 10 | 50.0% (1 refused: no ink) |", table, StringComparison.Ordinal);
        Assert.Contains("**minimum over the rows** (hard)", table, StringComparison.Ordinal);
        Assert.Equal(0.5, json.GetProperty("minimum").GetProperty("accuracy").GetDouble());
        Assert.Equal(3, json.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public void The_command_parses_its_options_and_defaults_to_the_test_split_1000_images_seed_42_torch_and_no_tta()
    {
        var root = BenchApp.Build(TextWriter.Null);

        var given = root.Parse("robust --model runs/a --data-dir d --split validation --count 300 --seed 7 --engine onnx --threads 2 --tta 3 --serve-threads 2 --markdown r.md --json r.json");
        var defaults = root.Parse("robust --model runs/a");

        Assert.Empty(given.Errors);
        Assert.Equal(new BenchApp.RobustSettings("runs/a", "d", 300, 7, EvaluationSplit.Validation, InferenceEngineKind.Onnx, 2, 3, "r.md", "r.json", ServeThreads: 2), BenchApp.ReadRobust(given));
        Assert.Empty(defaults.Errors);
        Assert.Equal(new BenchApp.RobustSettings("runs/a", null, 1000, 42, EvaluationSplit.Test, InferenceEngineKind.Torch, null, 0, null, null), BenchApp.ReadRobust(defaults));
    }

    [Fact]
    public void Given_a_split_seed_the_validation_rows_say_it_and_come_from_what_it_held_out()
    {
        var options = new TrainingOptions { TrainLimit = 5000, Seed = 3, SplitSeed = 4 };

        var rows = RobustBenchmark.Source(TestData.Mnist, EvaluationSplit.Validation, 1_000_000, seed: 42, options);

        var (_, heldOut) = TrainingData.Split(TestData.Mnist.Train, options with { Seed = 9 });
        Assert.Equal(heldOut.Labels.Order(), rows.Labels.Order());
        Assert.Contains("that a run with split seed 4 holds out", RobustBenchmark.Describe(EvaluationSplit.Validation, SeedModelFile.Manifest() with { Training = options }), StringComparison.Ordinal);
    }

    [Fact]
    public void The_validation_rows_of_an_ensemble_whose_members_held_out_different_images_are_refused_naming_the_flag()
    {
        using var dir = new TempDir();
        string Member(string name, int seed)
        {
            var path = SeedModelFile.SaveUntrained(dir.File(name), seed);
            var contents = ModelFile.Read(path);
            ModelFile.Save(path, new ModelFileContents { Manifest = contents.Manifest with { Training = new TrainingOptions { Seed = seed } }, Weights = contents.Weights });
            return path;
        }
        var ensemble = dir.File("ensemble.ckpt");
        ModelFile.Save(ensemble, EnsembleRun.Combine([Member("a.ckpt", 1), Member("b.ckpt", 2)]));
        var settings = new BenchApp.RobustSettings(ensemble, TestData.MnistDir, 20, 42, EvaluationSplit.Validation, InferenceEngineKind.Torch, null, 0, null, null);
        var log = new StringWriter();

        var code = BenchApp.RunRobust(log, settings, ["robust", "--model", ensemble]);

        Assert.Equal(1, code);
        Assert.Contains("hold out different validation images", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("--split-seed", log.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("robust")]
    [InlineData("robust --model m --split train")]
    [InlineData("robust --model m --count 0")]
    [InlineData("robust --model m --engine tensorrt")]
    public void The_command_refuses_a_missing_model_an_unknown_split_or_engine_and_a_count_below_one(string line)
    {
        Assert.NotEmpty(BenchApp.Build(TextWriter.Null).Parse(line).Errors);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void The_command_runs_on_a_model_file_and_writes_every_row_to_the_table_and_the_json()
    {
        using var dir = new TempDir();
        var model = SeedModelFile.SaveUntrained(dir.File("model.ckpt"), seed: 1);
        var settings = new BenchApp.RobustSettings(model, TestData.MnistDir, 20, 42, EvaluationSplit.Validation, InferenceEngineKind.Torch, null, 0, dir.File("r.md"), dir.File("r.json"));
        var log = new StringWriter();

        var code = BenchApp.RunRobust(log, settings, ["robust", "--model", model]);

        Assert.Equal(0, code);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("r.json"))).RootElement;
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(RobustBenchmark.Sets(Sample(1), "validation", 42, FontDigits.Fonts).Count, rows.Count);
        Assert.Equal("validation", json.GetProperty("split").GetString());
        Assert.All(rows.Where(r => r.GetProperty("name").GetString()!.StartsWith("MNIST", StringComparison.Ordinal)), r => Assert.Equal(20, r.GetProperty("images").GetInt32()));
        Assert.Contains("minimum over the rows", File.ReadAllText(dir.File("r.md")), StringComparison.Ordinal);
        Assert.Contains("dotnet run --project bench/Mnist.Bench -c Release -- robust --model", log.ToString(), StringComparison.Ordinal);
    }
}
