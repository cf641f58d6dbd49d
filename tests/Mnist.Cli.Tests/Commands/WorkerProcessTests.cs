using System.Diagnostics;
using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Cli.Tests.Commands;

/// <summary>
/// Several <c>mnist tune</c> processes on one study, one of them killed with SIGKILL inside a trial
/// and started again at once: every trial of the budget ends exactly once, the killed one is run
/// again, no configuration runs twice, and no trial whose worker lives is taken from it. On SQLite
/// and on PostgreSQL.
/// </summary>
[Trait("Category", "Processes")]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class WorkerProcessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string MnistDll => Path.Combine(AppContext.BaseDirectory, "mnist.dll");

    private Process StartWorker(string study, int trials, string? storage, double staleAfter, string name)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     MnistDll, "tune", "--data-dir", TestData.MnistDir, "--out", _dir.Path, "--study", study, "--trials", trials.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--initial", "2", "--max-epochs", "2", "--data-fraction", "0.03", "--threads", "1", "--seed", "7",
                     "--stale-after", staleAfter.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(a);
        }
        if (storage is not null)
        {
            info.ArgumentList.Add("--storage");
            info.ArgumentList.Add(storage);
        }
        var process = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine("err: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _logs[process] = (name, log);
        return process;
    }

    private readonly Dictionary<Process, (string Name, System.Text.StringBuilder Log)> _logs = [];

    private string Logs() => string.Join("\n", _logs.Values.Select(v => $"--- {v.Name}\n{v.Log}"));

    private static string HostPid(Process p) => $"{Environment.MachineName}:{p.Id}:";

    /// <summary>Starts the workers, kills <c>victim</c> with SIGKILL once it has been inside a trial for a second, starts it again at once, and waits for all.</summary>
    private IReadOnlyList<TrialRecord> KillOneAndFinish(Func<IStudyStore> open, string study, int workers, int trials, string? storage, double staleAfter)
    {
        var processes = Enumerable.Range(0, workers).Select(i => StartWorker(study, trials, storage, staleAfter, $"worker {i}")).ToList();
        var victim = processes[0];
        int? killedTrial = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (killedTrial is null && DateTime.UtcNow < deadline && !victim.HasExited)
        {
            Thread.Sleep(100);
            if (!File.Exists(Path.Combine(_dir.Path, study + ".db")) && storage is null) continue;
            try
            {
                using var store = open();
                var running = store.Trials().FirstOrDefault(t => t.Status == TrialStatus.Running && t.Worker is { } w && w.StartsWith(HostPid(victim), StringComparison.Ordinal)
                                                                  && t.Started is { } s && DateTimeOffset.UtcNow - s > TimeSpan.FromSeconds(1));
                if (running is not null)
                {
                    victim.Kill(); // SIGKILL: no cleanup, no release
                    victim.WaitForExit();
                    killedTrial = running.Id;
                    processes.Add(StartWorker(study, trials, storage, staleAfter, "worker 0, started again"));
                }
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or StudyNotFoundException or InvalidOperationException)
            {
                // the study is not there yet
            }
        }
        Assert.True(killedTrial is not null, "the victim never ran a trial long enough to be killed inside it\n" + Logs());
        foreach (var p in processes.Skip(1))
        {
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "a worker did not finish\n" + Logs());
            Assert.True(p.ExitCode == 0, $"a worker exited with {p.ExitCode}\n" + Logs());
        }
        using var check = open();
        var all = check.Trials();
        Assert.Equal(trials, all.Count);
        Assert.All(all, t => Assert.True(t.Status is TrialStatus.Completed or TrialStatus.Pruned, $"trial {t.Id} ended {t.Status}: {t.Message}\n" + Logs()));
        Assert.Equal(2, all[killedTrial!.Value].Attempts);
        Assert.All(all.Where(t => t.Id != killedTrial), t => Assert.True(t.Attempts == 1, $"trial {t.Id} was run {t.Attempts} times though its worker lived\n" + Logs()));
        Assert.Equal(trials, all.Select(t => ModelSpace.Key(t.Unit)).Distinct().Count());
        foreach (var p in processes) p.Dispose();
        return all;
    }

    private static readonly SearchSpace ModelSpace = Core.Model.ModelBuilder.SeedSearchSpace();

    [Fact]
    public void Given_three_workers_on_a_sqlite_study_When_one_is_killed_inside_a_trial_and_restarted_Then_every_trial_ends_once_and_none_runs_twice()
    {
        KillOneAndFinish(() => SqliteStudyStore.OpenExisting(_dir.File("s3.db")), "s3", workers: 3, trials: 6, storage: null, staleAfter: 8);
    }

    [Fact]
    public void Given_two_workers_on_a_sqlite_study_When_one_is_killed_inside_a_trial_and_restarted_Then_every_trial_ends_once_and_none_runs_twice()
    {
        KillOneAndFinish(() => SqliteStudyStore.OpenExisting(_dir.File("s2.db")), "s2", workers: 2, trials: 5, storage: null, staleAfter: 8);
    }

    [Fact]
    public void Given_one_worker_killed_inside_a_trial_When_started_again_at_once_Then_its_trial_is_re_queued_without_waiting_for_the_heartbeat_grace()
    {
        // A stale-after of 10 minutes: were the dead owner not noticed at once, the restarted worker would wait that long and the test would time out.
        KillOneAndFinish(() => SqliteStudyStore.OpenExisting(_dir.File("s1.db")), "s1", workers: 1, trials: 4, storage: null, staleAfter: 600);
    }

    [Fact]
    [Trait("Category", "Postgres")]
    public void Given_three_workers_on_a_postgres_study_When_one_is_killed_inside_a_trial_and_restarted_Then_every_trial_ends_once_and_none_runs_twice()
    {
        PostgresServer.Shared.OnFreshDatabase(url => KillOneAndFinish(() => PostgresStudyStore.OpenExisting(url, "p3"), "p3", workers: 3, trials: 6, storage: url, staleAfter: 8));
    }

    [Fact]
    [Trait("Category", "Postgres")]
    public void Given_two_workers_on_a_postgres_study_When_one_is_killed_inside_a_trial_and_restarted_Then_every_trial_ends_once_and_none_runs_twice()
    {
        PostgresServer.Shared.OnFreshDatabase(url => KillOneAndFinish(() => PostgresStudyStore.OpenExisting(url, "p2"), "p2", workers: 2, trials: 5, storage: url, staleAfter: 8));
    }
}
