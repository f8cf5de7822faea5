/* A shared object without the entry point. */
int not_the_entry(void);

int
not_the_entry(void)
{
	return 42;
}
