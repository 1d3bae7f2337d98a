from bytespike_cli.fastpath import main

if __name__ == "__main__":
    main()
