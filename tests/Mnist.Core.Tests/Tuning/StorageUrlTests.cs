using Mnist.Core.Infrastructure;
using Mnist.Core.Tuning;
using Npgsql;

namespace Mnist.Core.Tests.Tuning;

public sealed class StorageUrlTests
{
    private const string Secret = "s3cr3t-pw";

    private static NpgsqlConnectionStringBuilder Npgsql(StorageUrl url) => new(url.ConnectionString);

    [Fact]
    public void Given_a_full_postgresql_url_When_parsed_Then_the_connection_string_has_its_user_password_host_port_and_database()
    {
        var url = StorageUrl.Parse($"postgresql://tuner:{Secret}@db.example.org:6543/studies");

        var cs = Npgsql(url);
        Assert.Equal(StorageKind.Postgres, url.Kind);
        Assert.True(url.IsPostgres);
        Assert.Null(url.SqlitePath);
        Assert.Equal(("db.example.org", 6543, "studies", "tuner", Secret), (cs.Host, cs.Port, cs.Database, cs.Username, cs.Password));
        Assert.Equal(("db.example.org", 6543, "studies", "tuner"), (url.Host, url.Port, url.Database, url.Username));
    }

    [Fact]
    public void Given_the_postgres_scheme_and_no_port_When_parsed_Then_it_is_postgresql_on_port_5432()
    {
        var url = StorageUrl.Parse("postgres://tuner@10.0.0.7/studies");

        Assert.Equal(("10.0.0.7", 5432, "studies", "tuner"), (url.Host, url.Port, url.Database, url.Username));
        Assert.Null(Npgsql(url).Password);
    }

    [Fact]
    public void Given_a_percent_encoded_user_and_password_When_parsed_Then_both_are_decoded()
    {
        var url = StorageUrl.Parse("postgresql://t%C3%BCner%40lab:p%40ss%3Aw%2Frd%25@host/db");

        var cs = Npgsql(url);
        Assert.Equal("tüner@lab", cs.Username);
        Assert.Equal("p@ss:w/rd%", cs.Password);
    }

    [Fact]
    public void Given_libpq_query_parameters_When_parsed_Then_they_become_the_Npgsql_settings()
    {
        var url = StorageUrl.Parse("postgresql://u@h/db?sslmode=verify-full&connect_timeout=7&application_name=mnist%20worker&target_session_attrs=read-write&keepalives=1&keepalives_idle=30&sslrootcert=/etc/ca.pem");

        var cs = Npgsql(url);
        Assert.Equal(SslMode.VerifyFull, cs.SslMode);
        Assert.Equal(7, cs.Timeout);
        Assert.Equal("mnist worker", cs.ApplicationName);
        Assert.Equal("read-write", cs.TargetSessionAttributes);
        Assert.True(cs.TcpKeepAlive);
        Assert.Equal(30, cs.TcpKeepAliveTime);
        Assert.Equal("/etc/ca.pem", cs.RootCertificate);
    }

    [Fact]
    public void Given_Npgsql_keywords_as_query_parameters_When_parsed_Then_they_are_taken_too()
    {
        var cs = Npgsql(StorageUrl.Parse("postgresql://u@h/db?Pooling=false&command_timeout=90&Maximum%20Pool%20Size=4"));

        Assert.False(cs.Pooling);
        Assert.Equal(90, cs.CommandTimeout);
        Assert.Equal(4, cs.MaxPoolSize);
    }

    [Fact]
    public void Given_an_unknown_query_parameter_When_parsed_Then_the_error_names_it_and_masks_the_password()
    {
        var e = Assert.Throws<SettingException>(() => StorageUrl.Parse($"postgresql://u:{Secret}@h/db?sslmode=require&colour=blue"));

        Assert.Contains("unknown query parameter 'colour'", e.Message);
        Assert.Contains("sslmode", e.Message);
        Assert.Contains("postgresql://u:***@h/db?sslmode=require&colour=blue", e.Message);
        Assert.DoesNotContain(Secret, e.Message);
    }

    [Fact]
    public void Given_a_bad_value_for_a_known_parameter_When_parsed_Then_the_error_names_the_parameter_and_value()
    {
        var e = Assert.Throws<SettingException>(() => StorageUrl.Parse($"postgresql://u:{Secret}@h/db?sslmode=sometimes"));

        Assert.Contains("sslmode=sometimes", e.Message);
        Assert.DoesNotContain(Secret, e.Message);
    }

    [Fact]
    public void Given_a_url_with_a_password_When_displayed_Then_the_password_and_secret_parameters_are_masked()
    {
        var url = StorageUrl.Parse($"postgresql://tuner:{Secret}@h:5433/db?sslpassword={Secret}&sslmode=require");

        Assert.Equal("postgresql://tuner:***@h:5433/db?sslpassword=***&sslmode=require", url.Display);
        Assert.Equal(url.Display, url.ToString());
        Assert.Equal("postgresql://u@h/db?password=***", StorageUrl.Parse($"postgresql://u@h/db?password={Secret}").Display);
        Assert.Equal(Secret, Npgsql(StorageUrl.Parse($"postgresql://u@h/db?password={Secret}")).Password);
    }

    [Theory]
    [InlineData("sqlite:///study.db", "study.db")]
    [InlineData("sqlite:///runs/tune/study.db", "runs/tune/study.db")]
    [InlineData("sqlite:////tmp/studies/study.db", "/tmp/studies/study.db")]
    [InlineData("runs/tune/study.db", "runs/tune/study.db")]
    [InlineData("/srv/study.db", "/srv/study.db")]
    public void Given_a_sqlite_url_or_a_db_path_When_parsed_Then_it_is_that_sqlite_file(string value, string path)
    {
        var url = StorageUrl.Parse(value);

        Assert.Equal(StorageKind.Sqlite, url.Kind);
        Assert.Equal(path, url.SqlitePath);
        Assert.Null(url.ConnectionString);
        Assert.Equal(value, url.Display);
    }

    [Theory]
    [InlineData("runs/tune/study", "expected postgresql://")]
    [InlineData("", "empty")]
    [InlineData("mysql://u:s3cr3t-pw@h/db", "unknown scheme 'mysql'")]
    [InlineData("sqlite://study.db", "expected sqlite:///PATH")]
    [InlineData("postgresql://u:s3cr3t-pw@h:99999/db", "the port '99999'")]
    [InlineData("postgresql://u:s3cr3t-pw@h:pg/db", "the port 'pg'")]
    [InlineData("postgresql://u:s3cr3t-pw@/db", "no host")]
    [InlineData("postgresql://u:s3cr3t-pw%zz@h/db", "the password has a malformed percent escape")]
    [InlineData("postgresql://u:s3cr3t-pw@h/db?sslmode", "has no value")]
    public void Given_a_malformed_value_When_parsed_Then_the_error_names_the_value_and_what_was_expected_without_the_password(string value, string expected)
    {
        var e = Assert.Throws<SettingException>(() => StorageUrl.Parse(value));

        Assert.Equal("storage", e.Setting);
        Assert.StartsWith("storage = ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain(Secret, e.Message);
        Assert.False(StorageUrl.TryParse(value, out _, out var error));
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void Given_several_hosts_or_an_ipv6_address_When_parsed_Then_Npgsql_gets_each_with_its_port()
    {
        Assert.Equal("pg1:5432,pg2:5433", StorageUrl.Parse("postgresql://u@pg1:5432,pg2:5433/db").Host);

        var v6 = StorageUrl.Parse("postgresql://u@[::1]:6000/db");
        Assert.Equal(("::1", 6000), (v6.Host, v6.Port));
    }

    [Fact]
    public void Given_a_unix_socket_folder_as_the_host_parameter_When_parsed_Then_it_is_the_host()
    {
        var url = StorageUrl.Parse("postgresql:///studies?host=/var/run/postgresql");

        Assert.Equal(("/var/run/postgresql", 5432, "studies"), (url.Host, url.Port, url.Database));
    }

    [Fact]
    public void Given_a_url_When_another_database_is_asked_for_Then_user_password_host_and_parameters_stay()
    {
        var url = StorageUrl.Parse($"postgresql://tuner:{Secret}@h:5433/postgres?sslmode=require").WithDatabase("study_7");

        var cs = Npgsql(url);
        Assert.Equal(("h", 5433, "study_7", "tuner", Secret, SslMode.Require), (cs.Host, cs.Port, cs.Database, cs.Username, cs.Password, cs.SslMode));
        Assert.Equal("postgresql://tuner:***@h:5433/study_7?sslmode=require", url.Display);
        Assert.Throws<SettingException>(() => StorageUrl.Parse("study.db").WithDatabase("x"));
    }

    [Fact]
    public void Given_text_that_does_not_parse_When_masked_Then_the_password_is_still_hidden()
    {
        Assert.Equal("postgresql://u:***@h:port/db", StorageUrl.Mask($"postgresql://u:{Secret}@h:port/db"));
        Assert.Equal("postgresql://u:***@h/db", StorageUrl.Mask($"postgresql://u:{Secret}@with@h/db"));
        Assert.Equal("study.db", StorageUrl.Mask("study.db"));
    }
}
