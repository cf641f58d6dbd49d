return await Mnist.Cli.CliApp.RunAsync(args, Console.Out, Console.Error);
