using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Mnist.Core.Infrastructure;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// Which studies a reader such as <c>mnist dashboard</c> finds where it is pointed (a folder, DIR/NAME, a
/// sqlite:/// URL), how it says that one is not there, and that it reads them without writing or waiting
/// for a worker that holds the write lock.
/// </summary>
public sealed class StudySourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly IReadOnlyList<HyperParameter> Space = [new IntParameter("units", 1, 3), new FloatParameter("learning_rate", 1e-4, 1e-2, Log: true)];

    private string MakeStudy(string name, string? file = null)
    {
        var path = file ?? _dir.File(name + ".db");
        using var store = new SqliteStudyStore(path);
        store.OpenOrCreate(new StudyDefinition(name, Space, TuningObjective.ValAccuracy));
        return path;
    }

    [Fact]
    public void Given_a_folder_of_studies_When_listed_Then_each_NAME_db_is_a_study_named_NAME_in_order()
    {
        MakeStudy("beta");
        MakeStudy("alpha");

        Assert.Equal(["alpha", "beta"], StudyStorage.List(null, _dir.Path));
    }

    [Fact]
    public void Given_a_folder_with_a_db_file_that_holds_no_study_When_listed_Then_it_is_left_out()
    {
        MakeStudy("alpha");
        File.WriteAllBytes(_dir.File("half-made.db"), []);
        File.WriteAllText(_dir.File("notes.db"), "not a database");

        Assert.Equal(["alpha"], StudyStorage.List(null, _dir.Path));
    }

    [Fact]
    public void Given_DIR_NAME_of_a_study_When_listed_Then_it_is_that_one_study()
    {
        MakeStudy("alpha");
        MakeStudy("beta");

        Assert.Equal(["beta"], StudyStorage.List(null, Path.Combine(_dir.Path, "beta")));
    }

    [Fact]
    public void Given_a_sqlite_storage_url_When_listed_Then_it_is_the_study_the_file_holds()
    {
        var path = MakeStudy("gamma", _dir.File("renamed.db"));

        Assert.Equal(["gamma"], StudyStorage.List("sqlite:///" + path, null));
    }

    [Fact]
    public void Given_a_study_path_that_is_not_there_When_opened_Then_the_error_names_the_file()
    {
        var e = Assert.Throws<FileNotFoundException>(() => StudySource.Open(null, Path.Combine(_dir.Path, "missing")));

        Assert.Contains(Path.Combine(_dir.Path, "missing.db"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_storage_url_that_does_not_parse_When_opened_Then_the_error_names_it_with_its_password_masked()
    {
        var e = Assert.Throws<SettingException>(() => StudySource.Open("mysql://me:secret@host/db", null));

        Assert.Contains("mysql://me:***@host/db", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_neither_storage_nor_study_When_opened_Then_the_error_says_what_to_give()
    {
        var e = Assert.Throws<ArgumentException>(() => StudySource.Open(null, null));

        Assert.Contains("storage URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_a_sqlite_url_and_another_study_name_When_opened_Then_the_error_names_both()
    {
        var path = MakeStudy("gamma");

        var e = Assert.Throws<StudyNotFoundException>(() => StudySource.Open("sqlite:///" + path, "delta"));

        Assert.Contains("'gamma'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'delta'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_an_unknown_name_When_read_Then_the_error_names_it_and_the_studies_there()
    {
        MakeStudy("alpha");
        using var source = StudySource.Open(null, _dir.Path);

        var e = Assert.Throws<StudyNotFoundException>(() => source.Read("omega", s => s.Definition));

        Assert.Contains("'omega'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'alpha'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../alpha")]
    [InlineData("sub/alpha")]
    [InlineData("..")]
    public void Given_a_name_that_leaves_the_folder_When_read_Then_it_is_not_found(string name)
    {
        var inner = Path.Combine(_dir.Path, "inner");
        Directory.CreateDirectory(Path.Combine(inner, "sub"));
        MakeStudy("alpha");
        MakeStudy("alpha", Path.Combine(inner, "sub", "alpha.db"));
        using var source = StudySource.Open(null, inner);

        Assert.Throws<StudyNotFoundException>(() => source.Read(name, s => s.Definition));
    }

    [Fact]
    public void Given_a_study_read_through_the_source_Then_its_store_cannot_write_and_the_file_is_unchanged()
    {
        var path = MakeStudy("alpha");
        var before = File.ReadAllBytes(path);
        using var source = StudySource.Open(null, _dir.Path);

        var readOnly = source.Read("alpha", s => ((SqliteStudyStore)s).IsReadOnly);
        var write = Record.Exception(() => source.Read("alpha", s => s.Claim(new ClaimRequest("w", 1, TimeSpan.FromMinutes(1), _ => new TrialProposal([0.5, 0.5], new Dictionary<string, double> { ["units"] = 2, ["learning_rate"] = 1e-3 })))));

        Assert.True(readOnly);
        Assert.IsType<SqliteException>(write);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Given_a_worker_holding_the_write_lock_When_the_source_reads_Then_it_answers_without_waiting()
    {
        var path = MakeStudy("alpha");
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False");
        writer.Open();
        using (var wal = writer.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL; BEGIN IMMEDIATE; INSERT INTO study(key, value) VALUES ('lock', 'held');";
            wal.ExecuteNonQuery();
        }
        using var source = StudySource.Open(null, _dir.Path);
        var clock = Stopwatch.StartNew();

        var trials = source.Read("alpha", s => s.Trials());

        Assert.Empty(trials);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the read waited {clock.Elapsed.TotalSeconds:0.0} s for the writer");
    }
}
