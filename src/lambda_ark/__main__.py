"""`python -m lambda_ark`: the same as the `lambda-ark` command."""

from lambda_ark.cli import main

if __name__ == "__main__":
    main()
