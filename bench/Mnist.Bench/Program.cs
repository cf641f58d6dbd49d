using System.CommandLine;
using System.Globalization;
using Mnist.Bench;
using Mnist.Core.Data;
using Mnist.Core.Evaluation;
using Mnist.Core.Inference;
using Mnist.Core.Infrastructure;
using Mnist.Core.Training;

NativeTuning.Apply(); // process-wide settings, once, before anything touches libtorch (MNIST_NO_MALLOC_TUNING leaves malloc as it comes)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return await BenchApp.Build(Console.Out).Parse(args).InvokeAsync();

namespace Mnist.Bench
{
    internal static class BenchApp
    {
        public static RootCommand Build(TextWriter output)
        {
            var root = new RootCommand("Benchmarks and experiments of the MNIST product.");
            root.Subcommands.Add(Speed(output));
            root.Subcommands.Add(Drawn(output));
            root.Subcommands.Add(PlainLoop(output));
            root.Subcommands.Add(Engines(output));
            root.Subcommands.Add(Surrogate(output));
            root.Subcommands.Add(Robust(output));
            return root;
        }

        /// <summary>The robust command's settings, as parsed.</summary>
        internal sealed record RobustSettings(string Model, string? DataDir, int Count, int Seed, EvaluationSplit Split, InferenceEngineKind Engine, int? Threads, int Tta, string? Markdown, string? Json, int ServeThreads = 1);

        /// <summary>The accuracy on digits that are not MNIST's images as they come: drawn, distorted, typed in handwriting fonts.</summary>
        private static Command Robust(TextWriter output)
        {
            var model = new Option<string>("--model") { Description = "A run folder or model file.", Required = true };
            var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the MNIST IDX files." };
            var split = new Option<string>("--split")
            {
                Description = "Where the MNIST-derived rows come from: test (report once) or validation (the images of the training file the model's run held out, by its manifest's options, an ensemble's its members' when they share one split; seed 42 by default): choose settings on validation.",
                DefaultValueFactory = _ => "test",
            }.AcceptOnlyFromAmong("test", "validation");
            var count = new Option<int>("--count") { Description = "MNIST images per MNIST-derived row.", DefaultValueFactory = _ => 1000 };
            count.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--count must be at least 1"); });
            var seed = new Option<int>("--seed") { Description = "Which MNIST images, and the random sizes, places and distortions.", DefaultValueFactory = _ => 42 };
            var engine = new Option<string>("--engine") { Description = "torch or onnx.", DefaultValueFactory = _ => Choice.Name(InferenceEngineKind.Torch) }
                .AcceptOnlyFromAmong([.. Choice.Names<InferenceEngineKind>()]);
            var threads = new Option<int?>("--threads") { Description = "libtorch threads, and ONNX Runtime's intra-op threads (default: all cores)." };
            var tta = new Option<int>("--tta") { Description = "Test-time augmentation: each answer the mean over the image and this many fixed variants (as serve --tta).", DefaultValueFactory = _ => 0 };
            var serveThreads = new Option<int>("--serve-threads") { Description = "Threads for the forward passes while the latency of one drawn digit is timed (as serve --threads).", DefaultValueFactory = _ => 1 };
            serveThreads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--serve-threads must be at least 1"); });
            var markdown = new Option<string?>("--markdown") { Description = "Also write the table (Markdown) to this file." };
            var json = new Option<string?>("--json") { Description = "Also write the rows as JSON to this file." };
            var command = new Command("robust", "Accuracy on digits that are not MNIST's images as they come: drawn on the pad, distorted, typed in handwriting-like fonts; each row and their minimum.")
            {
                model, dataDir, split, count, seed, engine, threads, tta, serveThreads, markdown, json,
            };
            command.SetAction(parse => RunRobust(output, ReadRobust(parse), Environment.GetCommandLineArgs().Skip(1)));
            return command;
        }

        internal static RobustSettings ReadRobust(ParseResult parse) => new(
            parse.GetRequiredValue<string>("--model"),
            parse.GetValue<string?>("--data-dir"),
            parse.GetValue<int>("--count"),
            parse.GetValue<int>("--seed"),
            Enum.Parse<EvaluationSplit>(parse.GetRequiredValue<string>("--split"), ignoreCase: true),
            Choice.Parse<InferenceEngineKind>("engine", parse.GetRequiredValue<string>("--engine")),
            parse.GetValue<int?>("--threads"),
            parse.GetValue<int>("--tta"),
            parse.GetValue<string?>("--markdown"),
            parse.GetValue<string?>("--json"),
            parse.GetValue<int>("--serve-threads"));

        internal static int RunRobust(TextWriter output, RobustSettings settings, IEnumerable<string> commandLine)
        {
            var missing = FontDigits.Missing(FontDigits.Fonts);
            if (missing.Count > 0)
            {
                output.WriteLine($"Fonts missing: {string.Join(", ", missing.Select(f => f.File))}. Install them: apt-get install -y {string.Join(' ', missing.Select(f => f.Package).Distinct())}");
                return 1;
            }
            Engine.Configure(settings.Threads, DeviceKind.Cpu);
            TestTimeAugmentation.Check(settings.Tta);
            using var engine = TestTimeAugmentation.Engine(InferenceEngines.Load(settings.Engine, settings.Model, settings.Threads ?? Environment.ProcessorCount), settings.Tta);
            if (engine.Manifest.Dataset != DatasetInfo.Mnist.Name)
            {
                output.WriteLine($"{engine.Path} is a {engine.Manifest.Dataset} model; the robustness benchmark reads digits (an MNIST model).");
                return 1;
            }
            TrainingOptions? training;
            try
            {
                training = settings.Split == EvaluationSplit.Validation ? HeldOutSplit.Of(engine.Manifest).Options : engine.Manifest.Training;
            }
            catch (InvalidDataException e)
            {
                output.WriteLine($"{engine.Path}: {e.Message}");
                return 1;
            }
            var data = Dataset.Load(DataLocator.Resolve(settings.DataDir, DatasetInfo.Mnist), DatasetInfo.Mnist, includeTrain: settings.Split == EvaluationSplit.Validation);
            var split = settings.Split.ToString().ToLowerInvariant();
            var source = RobustBenchmark.Source(data, settings.Split, settings.Count, settings.Seed, training);
            var rows = RobustBenchmark.Run(RobustBenchmark.Classes(engine), RobustBenchmark.Sets(source, split, settings.Seed, FontDigits.Fonts), output);
            var report = new RobustReport("dotnet run --project bench/Mnist.Bench -c Release -- " + string.Join(' ', commandLine), Machine.Detect().Describe(),
                engine.Path, Choice.Name(engine.Kind), split, RobustBenchmark.Describe(settings.Split, engine.Manifest), source.Count, settings.Seed, rows,
                settings.Tta, WebLatency.Measure(engine.Path, settings.Tta, settings.Engine, settings.ServeThreads));
            var table = RobustBenchmark.ToMarkdown(report);
            output.WriteLine();
            output.Write(table);
            if (settings.Markdown is { } markdownPath) AtomicFile.WriteAllText(markdownPath, table);
            if (settings.Json is { } jsonPath) AtomicFile.WriteAllText(jsonPath, Json.Serialize(report));
            return 0;
        }

        /// <summary>How the surrogate should learn from pruned trials: a multi-fidelity test problem searched with each choice.</summary>
        private static Command Surrogate(TextWriter output)
        {
            var seeds = new Option<int>("--seeds") { DefaultValueFactory = _ => 5 };
            var trials = new Option<int>("--trials") { DefaultValueFactory = _ => 30 };
            var markdown = new Option<string?>("--markdown") { Description = "Also write the table (Markdown) to this file." };
            var command = new Command("surrogate", "ASHA on a multi-fidelity test function: the resource as a surrogate input against a pruned trial's last value as final, and no pruning.") { seeds, trials, markdown };
            command.SetAction(parse =>
            {
                var rows = SurrogateExperiment.Run(parse.GetValue(seeds), parse.GetValue(trials), output);
                var text = SurrogateExperiment.ToMarkdown(rows, parse.GetValue(seeds), parse.GetValue(trials),
                    "dotnet run --project bench/Mnist.Bench -c Release -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
                output.Write(text);
                if (parse.GetValue(markdown) is { } path) AtomicFile.WriteAllText(path, text);
                return 0;
            });
            return command;
        }

        private static Command Speed(TextWriter output)
        {
            var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the MNIST IDX files." };
            var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file." };
            var markdown = new Option<string?>("--markdown") { Description = "Write the results table (Markdown) to this file." };
            var quick = new Option<bool>("--quick") { Description = "Every part on a tiny budget (seconds, not minutes)." };
            var noHttp = new Option<bool>("--no-http") { Description = "Skip the HTTP load test." };
            var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)." };
            var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
            var command = new Command("speed", "Training, inference and serving speed on the real data, with the machine's peak.") { dataDir, json, markdown, quick, noHttp, threads, seed };
            command.SetAction(parse => RunSpeed(output, parse.GetValue(dataDir), parse.GetValue(json), parse.GetValue(markdown), parse.GetValue(quick), !parse.GetValue(noHttp), parse.GetValue(threads), parse.GetValue(seed), Environment.GetCommandLineArgs()));
            return command;
        }

        internal static int RunSpeed(TextWriter output, string? dataDir, string? json, string? markdown, bool quick, bool http, int? threads, int seed, IEnumerable<string> commandLine)
        {
            Engine.Configure(threads, DeviceKind.Cpu);
            var directory = Path.GetFullPath(DataLocator.Resolve(dataDir, DatasetInfo.Mnist));
            var data = Dataset.Load(directory, DatasetInfo.Mnist);
            var budget = quick ? SpeedBudget.Quick : SpeedBudget.Full;
            var result = SpeedBenchmark.Run(data, directory, budget, seed, quick, output, http ? modelPath => HttpLoad.Run(modelPath, budget.HttpSeconds, output) : null);
            var command = "dotnet run --project bench/Mnist.Bench -c Release -- speed" + (quick ? " --quick" : "");
            var table = SpeedReport.ToMarkdown(result, command);
            output.WriteLine();
            output.Write(table);
            if (json is not null) AtomicFile.WriteAllText(json, Json.Serialize(result));
            if (markdown is not null) AtomicFile.WriteAllText(markdown, SpeedReport.Splice(File.Exists(markdown) ? File.ReadAllText(markdown) : null, table));
            return 0;
        }

        /// <summary>TorchSharp against ONNX Runtime on one model file: parity on the test set, latency and throughput.</summary>
        private static Command Engines(TextWriter output)
        {
            var model = new Option<string>("--model") { Description = "A run folder or model file.", Required = true };
            var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the MNIST IDX files." };
            var threads = new Option<int?>("--threads") { Description = "libtorch threads, and ONNX Runtime's intra-op threads (default: all cores)." };
            var images = new Option<int>("--images") { Description = "Test images compared for parity.", DefaultValueFactory = _ => 10_000 };
            var runs = new Option<int>("--runs") { Description = "Single-image calls timed per engine.", DefaultValueFactory = _ => SpeedBudget.Full.LatencyRuns };
            var batchRuns = new Option<int>("--batch-runs") { Description = "Batches of 1000 timed per engine.", DefaultValueFactory = _ => SpeedBudget.Full.BatchRuns };
            var markdown = new Option<string?>("--markdown") { Description = "Also write the result (Markdown) to this file." };
            var command = new Command("engines", "TorchSharp against ONNX Runtime on one model file: parity on the test set, latency and batch throughput.") { model, dataDir, threads, images, runs, batchRuns, markdown };
            command.SetAction(parse =>
            {
                Engine.Configure(parse.GetValue(threads), DeviceKind.Cpu);
                var data = Dataset.Load(DataLocator.Resolve(parse.GetValue(dataDir), DatasetInfo.Mnist), DatasetInfo.Mnist, includeTrain: false);
                var (torch, onnx) = EngineComparison.Load(parse.GetRequiredValue(model));
                using var _ = torch;
                using var __ = onnx;
                var parity = EngineComparison.Parity(torch, onnx, data.Test, parse.GetValue(images));
                var (torchTimes, onnxTimes) = EngineComparison.Time(torch, onnx, data.Test, parse.GetValue(runs), parse.GetValue(batchRuns));
                var text = EngineComparison.ToMarkdown(parity, torchTimes, onnxTimes, Machine.Detect().Describe(), TorchSharp.torch.get_num_threads(),
                    "dotnet run --project bench/Mnist.Bench -c Release -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
                output.Write(text);
                if (parse.GetValue(markdown) is { } path) AtomicFile.WriteAllText(path, text);
                return 0;
            });
            return command;
        }

        /// <summary>The plain loop alone, for the speed benchmark to run in a process of its own.</summary>
        private static Command PlainLoop(TextWriter output)
        {
            var dataDir = new Option<string?>("--data-dir");
            var images = new Option<int>("--images") { DefaultValueFactory = _ => 12_800 };
            var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
            var threads = new Option<int?>("--threads");
            var command = new Command("plain-loop", "Images/s of a plain TorchSharp training loop (used by speed).") { dataDir, images, seed, threads };
            command.Hidden = true;
            command.SetAction(parse =>
            {
                Engine.Configure(parse.GetValue(threads), DeviceKind.Cpu);
                var data = Dataset.Load(DataLocator.Resolve(parse.GetValue(dataDir), DatasetInfo.Mnist), DatasetInfo.Mnist);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PLAIN {SpeedBenchmark.PlainLoop(data, parse.GetValue(images), parse.GetValue(seed))}"));
                return 0;
            });
            return command;
        }

        private static Command Drawn(TextWriter output)
        {
            var model = new Option<string>("--model") { Description = "A run folder or model file.", Required = true };
            var dataDir = new Option<string?>("--data-dir") { Description = "Folder of the MNIST IDX files." };
            var count = new Option<int>("--count") { Description = "MNIST test digits re-drawn per pen width.", DefaultValueFactory = _ => 1000 };
            var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
            var markdown = new Option<string?>("--markdown") { Description = "Also write the table to this file." };
            var command = new Command("drawn", "How well the model reads digits drawn on a pad, with and without stroke normalisation.") { model, dataDir, count, seed, markdown };
            command.SetAction(parse =>
            {
                using var predictor = Predictor.Load(parse.GetRequiredValue(model));
                var data = Dataset.Load(DataLocator.Resolve(parse.GetValue(dataDir), DatasetInfo.Mnist), DatasetInfo.Mnist, includeTrain: false);
                var rows = DrawnDigits.Run(predictor, data.Test, parse.GetValue(count), parse.GetValue(seed));
                var table = DrawnDigits.ToMarkdown(rows);
                output.Write(table);
                if (parse.GetValue(markdown) is { } path) AtomicFile.WriteAllText(path, table);
                return 0;
            });
            return command;
        }
    }
}
